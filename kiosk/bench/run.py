"""Run spoken questions through the real pipeline at real-time pace and report latency per layer."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.audio.wavio import resample, speech_bounds
from kiosk.bench.questions import spoken_questions
from kiosk.llm.speech_text import ClauseSplitter
from kiosk.persona import load_persona
from kiosk.pipeline.conversation import Conversation
from kiosk.pipeline.headless import HeadlessSession
from kiosk.pipeline.messages import PIPELINE_RATE

# (layer name, start mark, end mark): each a span of one turn's timeline.
LAYERS = (
    ("ui: speech end -> thinking cue", "speech_end", "thinking_cue"),
    ("vad: speech end -> early start", "speech_end", "speculative_start"),
    ("vad: speech end -> endpoint", "speech_end", "endpoint"),
    ("asr: recognition", "speculative_start", "asr_final"),
    ("llm: first token", "asr_final", "llm_first_token"),
    ("llm: first clause", "asr_final", "first_clause"),
    ("tts: first chunk", "first_clause", "tts_first_chunk"),
    ("out: chunk -> speaker", "tts_first_chunk", "first_audio_out"),
    ("END TO END (voice-to-voice)", "speech_end", "first_audio_out"),
)


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"n": len(values), "median": statistics.median(values), "p95": p95, "max": ordered[-1]}


@dataclass
class NaiveResult:
    latency: float
    asr: float
    llm: float
    tts: float


def naive_turn(conversation: Conversation, audio: np.ndarray, rate: int) -> NaiveResult:
    """The same engines, one after the other: whole transcript, whole answer, whole synthesis."""
    persona = conversation.persona
    bounds = speech_bounds(audio, rate)
    end = bounds[1] if bounds else len(audio) / rate
    clip = resample(audio[: int(end * rate)], rate, PIPELINE_RATE)
    clip = np.concatenate([clip, np.zeros(int(persona.listening.end_of_speech_s * PIPELINE_RATE), np.float32)])
    t0 = time.monotonic()
    text, _ = conversation.asr.transcribe(clip)
    t1 = time.monotonic()
    prompts = conversation.prompts
    messages = conversation.history.messages(prompts.system_prompt(), prompts.user_message(text))
    splitter = ClauseSplitter(max_sentences=persona.style.max_sentences, max_words=persona.style.max_words)
    clauses: list[str] = []
    for piece in conversation.llm.stream(messages, threading.Event()):
        clauses += splitter.push(piece)  # the same length cap as the streaming pipeline
        if splitter.done:
            break
    reply = " ".join(clauses + splitter.finish()) or persona.fallback_line
    t2 = time.monotonic()
    for _ in conversation.tts.synthesize(reply):
        pass
    t3 = time.monotonic()
    eos = persona.listening.end_of_speech_s
    return NaiveResult(eos + (t3 - t0), t1 - t0, t2 - t1, t3 - t2)


def run_bench(turns: int = 20, as_json: bool = False, persona_path=None, naive: bool = True) -> int:
    persona = load_persona(persona_path)
    # Synthesize missing question recordings in a child process: their TTS engines must not count
    # towards the pipeline's peak memory.
    subprocess.run([sys.executable, "-c", "from kiosk.bench.questions import spoken_questions; spoken_questions()"], check=True)
    questions = spoken_questions()
    cpu0 = os.times()
    wall0 = time.monotonic()
    conversation = Conversation(persona)
    conversation.load()
    ready_s = time.monotonic() - wall0
    session = HeadlessSession(conversation)
    records = []
    try:
        for index in range(turns):
            question = questions[index % len(questions)]
            result = session.run(question.audio, question.rate)
            records.append((question.text, result))
            if not as_json:
                latency = result.marks.get("first_audio_out")
                shown = f"{latency:.3f}s" if latency is not None else result.outcome
                print(f"turn {index + 1:3d}/{turns}: {shown:>8} {result.source:>6}  {question.text!r} -> {result.reply[:60]!r}",
                      flush=True)
            conversation.history.clear()  # every question starts a fresh visitor session
            time.sleep(0.3)
    finally:
        session.close()
    cpu1 = os.times()
    wall = time.monotonic() - wall0
    naive_results: list[NaiveResult] = []
    if naive:
        for index in range(min(turns, len(questions))):
            q = questions[index]
            naive_results.append(naive_turn(conversation, q.audio, q.rate))
    layers = {}
    for name, start, end in LAYERS:
        values = [
            r.marks[end] - r.marks[start] for _, r in records if start in r.marks and end in r.marks
        ]
        layers[name] = _stats(values)
    for source, title in (("llm", "END TO END, answered by the LLM"), ("direct", "END TO END, curated/fixed answer"),
                          ("curated", "END TO END, curated answer only")):
        values = [r.marks["first_audio_out"] for _, r in records
                  if source in (r.source, r.kind) and "first_audio_out" in r.marks]
        layers[title] = _stats(values)
    answered = sum(1 for _, r in records if r.outcome == "answered")
    report: dict[str, Any] = {
        "turns": turns,
        "answered": answered,
        "ready_s": round(ready_s, 2),
        "load_s": conversation.load_seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_percent_of_one_core": round(100 * ((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)) / wall, 1),
        "layers_s": layers,
        "naive_s": {
            "END TO END (sequential)": _stats([n.latency for n in naive_results]),
            "asr": _stats([n.asr for n in naive_results]),
            "llm (whole answer)": _stats([n.llm for n in naive_results]),
            "tts (whole answer)": _stats([n.tts for n in naive_results]),
        },
        "cpu_count": os.cpu_count(),
    }
    streaming = layers["END TO END (voice-to-voice)"].get("median")
    sequential = report["naive_s"]["END TO END (sequential)"].get("median")
    report["naive_over_streaming"] = round(sequential / streaming, 2) if streaming and sequential else None
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0 if answered == turns else 1


def print_table(report: dict) -> None:
    print()
    print(f"{'layer':40} {'median':>8} {'p95':>8} {'max':>8} {'n':>4}")
    for title, block in (("streaming pipeline", report["layers_s"]), ("naive sequential pipeline", report["naive_s"])):
        print(f"-- {title}")
        for name, s in block.items():
            if s.get("n"):
                print(f"{name:40} {s['median']:8.3f} {s['p95']:8.3f} {s['max']:8.3f} {s['n']:4d}")
    print()
    print(f"answered {report['answered']}/{report['turns']} turns; naive/streaming median ratio: {report['naive_over_streaming']}")
    print(f"start to ready {report['ready_s']} s (per engine {report['load_s']}); peak RSS {report['peak_rss_mb']} MB; "
          f"CPU {report['cpu_percent_of_one_core']}% of one core over the run ({report['cpu_count']} cores)")
