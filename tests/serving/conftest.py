"""The real server on 127.0.0.1 with the tiny test model, shared by the API and web page tests."""

import socket
import threading
import time

import pytest


@pytest.fixture(scope="session")
def server(speaking_model):
    import uvicorn

    from audiopalm.serve import ServeConfig, create_app

    data, model_dir = speaking_model
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ServeConfig(str(model_dir), port=port, max_upload_mb=2.0, max_seconds=20.0))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    yield f"http://127.0.0.1:{port}", wav, model_dir
    srv.should_exit = True
    thread.join(timeout=10)
