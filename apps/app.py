"""Start the keras-vsr web app: `keras-vsr app` as a script, for hosts that run an app.py.

    python apps/app.py                                   # http://127.0.0.1:7860
    python apps/app.py --preset path/to/preset_folder --port 8000 --backend torch

Takes the options of `keras-vsr app` (see `keras-vsr app --help`); needs
keras-vsr installed with its app extra (`pip install -e ".[app]"`).
"""

import sys

from keras_vsr.cli import main

if __name__ == "__main__":
    sys.exit(main(["app", *sys.argv[1:]]))
