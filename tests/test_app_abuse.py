"""The web app under abuse and load, through a live server on 127.0.0.1
(`tools/load_app.py` drives it; its full run is in the README): bad uploads
get the CLI's message, files outside the app are never served, a full queue
refuses with its message, and the server keeps serving."""

import concurrent.futures
import socket
import urllib.parse

import pytest

from tests.support import BACKEND, load_tool

pytest.importorskip("gradio", reason="the web app needs gradio (pip install 'keras-vsr[app]')")
pytestmark = pytest.mark.skipif(BACKEND != "tensorflow", reason="the server's handling does not depend on the backend")


@pytest.fixture(scope="module")
def tool():
    return load_tool("load_app")


@pytest.fixture(scope="module")
def inputs(tool, tmp_path_factory):
    return tool.make_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def server(tiny_preset):
    from keras_vsr.app import launch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = launch(port=port, presets=[tiny_preset], max_file_size="1mb", max_queue=2, block=False)
    yield demo
    demo.close()


@pytest.mark.parametrize(
    "name,kind",
    [("empty.png", "image"), ("notes.png", "image"), ("cut.png", "image"), ("bomb.png", "image"),
     ("notes.mp4", "video"), ("empty.png", "gif")],
)
def test_bad_uploads_get_the_message_the_cli_gives(tool, server, inputs, name, kind):
    outcome, message = tool.request(server.local_url, inputs[name], kind, timeout=120)
    assert outcome == "error"
    assert tool.cli_message(inputs[name], kind) in message
    assert str(inputs[name].parent) not in message  # server folders stay private


def test_wrong_extension_names_the_real_format(tool, server, inputs):
    outcome, message = tool.request(server.local_url, inputs["photo.gif"], "gif", timeout=120)
    assert outcome == "error" and "photo.gif is a PNG image, not a GIF" in message


def test_nothing_outside_the_apps_files_is_served(tool, server, tmp_path):

    link = tmp_path / "link.txt"
    link.symlink_to("/etc/passwd")
    for target in ["/etc/passwd", "../../../../etc/passwd", urllib.parse.quote("/etc/passwd", safe=""),
                   f"{tmp_path}/../../../etc/passwd", str(link)]:
        assert tool.probe(server.local_url, target) in (403, 404), target


def test_a_full_queue_refuses_with_its_message_and_the_server_goes_on(tool, server, inputs):
    names = ["clip.mp4", "anim.gif", "image.png"] * 3
    with concurrent.futures.ThreadPoolExecutor(len(names) + 2) as pool:
        gone = [pool.submit(tool.disconnect, server.local_url, inputs["clip.mp4"], 0.2) for _ in range(2)]
        futures = [
            pool.submit(tool.request, server.local_url, inputs[n], tool.KIND[n[-4:]], 300) for n in names
        ]
        outcomes = [f.result() for f in futures]
        assert [f.result() for f in gone] == ["disconnected"] * 2
    kinds = {outcome for outcome, _ in outcomes}
    assert kinds <= {"served", "queue full"}, outcomes
    assert "served" in kinds
    assert tool.request(server.local_url, inputs["image.png"], "image", 120)[0] == "served"
