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


def _handlers(server):
    return next(fn.fn.__self__ for fn in server.fns.values() if fn.api_name == "upscale_gif")


@pytest.mark.parametrize("abandon", ["cancel", "drop"])
def test_an_abandoned_gif_frees_the_model_for_the_next_request_and_leaves_no_files(
    tool, server, inputs, tmp_path, monkeypatch, abandon
):
    import uuid

    import gradio as gr

    from keras_vsr import app

    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.25")
    checks = []  # request_abandoned() of every frame the GIF reached
    abandoned = app.request_abandoned
    monkeypatch.setattr(app, "request_abandoned", lambda: checks.append(abandoned()) or checks[-1])
    stem = f"long_{uuid.uuid4().hex[:8]}"
    frames = 120  # seconds of work, abandoned after 0.5 s; the GIF (760 KB) stays under the 1 MB limit
    gif = tool.long_gif(tmp_path / f"{stem}.gif", frames=frames)

    seconds = tool.wait_behind(server.local_url, gif, inputs["image.png"], timeout=120, abandon=abandon, after=0.5)
    print(f"image served {seconds:.1f} s after it was sent behind a GIF abandoned ({abandon}) after 0.5 s")
    assert checks[-1] is True and len(checks) < frames  # the GIF stopped before its end...
    assert tool.session_files(_handlers(server).workdir, stem) == []  # ...and left no result
    assert tool.files_left(gr.utils.get_upload_folder(), stem, timeout=30) == []  # its session ended
    assert _handlers(server).workdir.is_dir()  # and took only its own files
    assert tool.request(server.local_url, inputs["image.png"], "image", 120)[0] == "served"


def test_a_closed_session_leaves_no_upload_or_result(tool, server, inputs, monkeypatch):
    import gradio as gr

    monkeypatch.setenv("GRADIO_HEARTBEAT_INTERVAL", "0.25")
    during, left, _ = tool.files_after_session(server.local_url, inputs["image.png"], gr.utils.get_upload_folder())
    assert len(during) == 3  # the upload, the result and its bicubic "before" image
    assert left == []
