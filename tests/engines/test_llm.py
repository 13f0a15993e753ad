"""Real language models: llama.cpp in-process, and an OpenAI-compatible llama.cpp server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest

from kiosk import models
from kiosk.errors import EngineError, ModelError
from kiosk.llm import create_llm
from kiosk.llm.config import LlamaCppSettings, OpenAISettings, Sampling

pytestmark = pytest.mark.real

SYSTEM = "You are a friendly museum guide. Answer in one short sentence."


def chat(question: str):
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


@pytest.fixture(scope="module")
def llama():
    engine = create_llm(LlamaCppSettings(sampling=Sampling(temperature=0.0, seed=1)))
    engine.load()
    return engine


def first_token_time(engine, messages) -> float:
    start = time.monotonic()
    for _ in engine.stream(messages, threading.Event(), max_tokens=1):
        break
    return time.monotonic() - start


def test_llama_streams_several_pieces(llama):
    pieces = list(llama.stream(chat("What is a dinosaur?"), threading.Event()))
    assert len(pieces) > 3
    assert "".join(pieces).strip()


def test_llama_reuses_the_cached_system_prompt(llama):
    long_system = SYSTEM + " " + " ".join(f"Fact {i}: the museum has room number {i}." for i in range(60))
    cold = first_token_time(llama, [{"role": "system", "content": long_system}, {"role": "user", "content": "Hi"}])
    warm = first_token_time(llama, [{"role": "system", "content": long_system}, {"role": "user", "content": "Hello there"}])
    assert warm < cold / 3, (cold, warm)


def test_llama_answer_length_is_capped(llama):
    pieces = list(llama.stream(chat("Write a very long story about a dragon."), threading.Event(), max_tokens=12))
    assert len(pieces) <= 12


def test_llama_stops_when_cancelled(llama):
    cancel = threading.Event()
    count = 0
    for _ in llama.stream(chat("Tell me a long story."), cancel):
        count += 1
        if count == 3:
            cancel.set()
    assert count == 3


def test_llama_corrupt_or_missing_gguf_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"not a model at all" * 100)
    with pytest.raises(ModelError, match="bad header"):
        create_llm(LlamaCppSettings(model=bad)).load()
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(models.SMOLLM2_135M.path().read_bytes()[:2_000_000])
    with pytest.raises(ModelError, match="cannot load the language model"):
        create_llm(LlamaCppSettings(model=truncated)).load()
    with pytest.raises(ModelError, match="not found"):
        create_llm(LlamaCppSettings(model=tmp_path / "missing.gguf")).load()


def test_llama_checks_sha256_when_given(tmp_path):
    with pytest.raises(ModelError, match="sha256 does not match"):
        create_llm(LlamaCppSettings(model=models.SMOLLM2_135M.path(), sha256="0" * 64)).load()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(models.SMOLLM2_135M.path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1", "--n_ctx", "1024"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("llama_cpp.server did not start")
    yield f"http://127.0.0.1:{port}/v1"
    process.terminate()
    process.wait(10)


def test_openai_engine_streams_from_a_real_server(server):
    engine = create_llm(OpenAISettings(engine="openai", base_url=server, sampling=Sampling(max_tokens=24)))
    engine.load()
    pieces = list(engine.stream(chat("What is a museum?"), threading.Event()))
    assert len(pieces) > 2 and "".join(pieces).strip()


def test_openai_engine_cancel_stops_the_stream(server):
    engine = create_llm(OpenAISettings(engine="openai", base_url=server, sampling=Sampling(max_tokens=100)))
    cancel = threading.Event()
    got = 0
    for _ in engine.stream(chat("Tell me a long story."), cancel):
        got += 1
        cancel.set()
    assert got == 1


def test_openai_engine_unreachable_server_is_a_clear_error():
    engine = create_llm(OpenAISettings(engine="openai", base_url=f"http://127.0.0.1:{free_port()}/v1", timeout_s=2))
    with pytest.raises(EngineError, match="does not answer"):
        engine.load()
