"""The real server on 127.0.0.1 with the tiny test model, shared by the API and web page tests."""

import pytest


@pytest.fixture(scope="session")
def server(speaking_model):
    from audiopalm.serve import ServeConfig, start_in_thread

    data, model_dir = speaking_model
    srv, thread, url = start_in_thread(ServeConfig(str(model_dir), max_upload_mb=2.0, max_seconds=20.0))
    wav = next((data / "audio" / "test" / "fr").glob("*.wav"))
    yield url, wav, model_dir
    srv.should_exit = True
    thread.join(timeout=10)
