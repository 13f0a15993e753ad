"""Train the audio lip-sync model from speech Piper generates, with Piper's phoneme alignments as labels.

    python -m kiosk.lipsync.train --out assets/lipsync/visemes.onnx

Steps: synthesize sentences with the embedded Joe voice at varied speed and expressiveness; make
augmented copies (pitch/tempo shift, band limits, reverb, gain, noise, padding); compute the runtime's
log-mel features; train a small GRU (PyTorch, CPU, 1 thread) to predict the viseme of each 10 ms frame
three frames late (40 ms lookahead); write the ONNX graph by hand with the ``onnx`` package (no
exporter dependency); evaluate it through the runtime class on held-out sentences, next to the
loudness mouth; write ``<out>.json`` beside the model. About 20-30 minutes on 2 cores.

Needs PyTorch for training only: ``pip install torch==2.13.0`` (the runtime uses onnxruntime).

Frame accuracy: the share of 10 ms frames whose top-weighted viseme equals the viseme of the Piper
phoneme spoken at the frame's centre (after the labelling rules in :func:`segments`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from kiosk.lipsync import features
from kiosk.lipsync.loudness import LoudnessMouth
from kiosk.lipsync.phonemes import VISEME_INDEX, VISEMES, viseme_of

DELAY = 3  # the model answers 3 frames late: 40 ms of lookahead with the 10 ms a feature frame spans
HIDDEN = 128
LAYERS = 2
SIL = VISEME_INDEX["sil"]
# How open the jaw is for each viseme (for the openness correlation); same order as VISEMES.
OPENNESS = np.array(
    [0.0, 0.0, 0.2, 0.3, 0.35, 0.4, 0.3, 0.2, 0.3, 0.35, 1.0, 0.7, 0.5, 0.8, 0.4], dtype=np.float32
)

# ---------------------------------------------------------------------------------------------- text

HELD_OUT_KIOSK = [
    "Welcome to the museum! The dinosaur gallery is on the second floor.",
    "The cafe closes at five thirty, but the gift shop stays open until six.",
    "Would you like me to show you the way to the planetarium?",
    "This painting was finished in 1889, shortly before the artist moved to the south of France.",
    "Please keep your voice down in the reading room.",
    "Our next guided tour starts in fifteen minutes at the main entrance.",
    "The blue whale skeleton hanging above you is almost thirty metres long.",
    "Children under twelve enter free of charge every Sunday morning.",
    "I'm sorry, I didn't quite catch that. Could you say it again?",
    "Lockers for coats and bags are just behind the information desk.",
    "The exhibition about ancient Egypt features over two hundred objects.",
    "Thank you for visiting, and have a wonderful afternoon!",
    "Photography is allowed, but please switch off your flash.",
    "The elevator to the rooftop garden is next to the stairs on your left.",
    "Volcanoes form where molten rock pushes up through the earth's crust.",
    "Each of these fossils is more than sixty million years old.",
    "You can buy tickets for the special exhibition at the kiosk by the door.",
    "Quiet voices, please: the butterflies in the glasshouse are very shy.",
    "Jazz musicians play in the courtyard every Friday evening in July.",
    "The vase in front of you was made of porcelain in the fourteenth century.",
    "Just follow the yellow footprints on the floor to reach the science zone.",
    "Is there anything else I can help you with today?",
    "Our audio guides are available in six languages.",
    "Wheelchairs can be borrowed free of charge from the cloakroom.",
]

# fmt: off
_SUBJECTS = [
    "The old farmer", "My little sister", "A tall man in a grey coat", "Our neighbour", "The young pilot",
    "Every student", "The quiet librarian", "A friendly dog", "The king of the village", "Her brother",
    "The chef", "Two boys", "The jury", "A nervous thief", "The orchestra", "Grandmother", "The zoo keeper",
    "Jack", "Maria", "Professor Zhang", "The captain", "A yellow taxi", "The police officer",
    "Those workers", "The smallest puppy", "Uncle Bob", "The judge", "A thousand voices", "The shy giraffe",
    "Peter",
]
_VERBS = [
    "carried", "painted", "found", "watched", "fixed", "bought", "threw", "pushed", "measured", "washed",
    "shared", "chose", "thought about", "forgot", "judged", "pulled", "visited", "described", "played with",
    "loved", "ate", "built", "ordered", "missed", "joined", "showed us", "hid", "weighed", "smelled",
    "borrowed", "vanished with", "chased", "reached for", "enjoyed", "examined",
]
_OBJECTS = [
    "a heavy wooden box", "the broken bicycle", "seven green apples", "a jar of thick honey",
    "the purple umbrella", "an enormous map of Europe", "her father's watch", "the shiny violin",
    "three cups of coffee", "a bag of frozen peas", "the tiny white mouse", "our garage door",
    "the huge jigsaw puzzle", "some fresh fish", "a blue vase", "the choir's new songs", "a dozen eggs",
    "the thermometer", "his leather shoes", "the rough rope", "a sharp knife", "the zebra",
    "an old photograph", "the loud engine", "a bowl of warm soup", "the treasure chest",
    "two pairs of socks", "the yellow balloon", "a pile of autumn leaves", "the orange juice",
    "the ugly statue", "a cheese sandwich",
]
_PLACES = [
    "in the morning", "near the river", "after lunch", "at the station", "on Thursday", "behind the church",
    "during the storm", "before the show started", "in the kitchen", "under the bridge", "at midnight",
    "beside the fountain", "last August", "at the edge of the forest", "on the way home", "in the garden",
    "at ten past four", "by the seashore", "in the school yard", "through the window", "all week",
]
# fmt: on


def _template_sentences(rng: random.Random, count: int) -> list[str]:
    out: set[str] = set()
    while len(out) < count:
        s, v, o, p = rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_PLACES)
        kind = rng.randrange(8)
        if kind == 0:
            text = f"Did you know that {s.lower()} {v} {o} {p}?"
        elif kind == 1:
            text = f"Look, {s.lower()} {v} {o}!"
        elif kind == 2:
            s2, v2, o2 = rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS)
            text = f"{s} {v} {o}, and then {s2.lower()} {v2} {o2}."
        elif kind == 3:
            text = f"It costs {rng.randint(2, 999)} dollars and {rng.randint(1, 99)} cents, {s.lower()} said."
        elif kind == 4:
            text = f"We counted {rng.randint(3, 5000)} birds {p}, but {s.lower()} {v} {o}."
        else:
            text = f"{s} {v} {o} {p}."
        out.add(text)
    return sorted(out)


def _doc_sentences() -> list[str]:
    """English sentences from the Python language reference that ships with every CPython."""
    import pydoc_data.topics

    text = re.sub(r"\s+", " ", " ".join(pydoc_data.topics.topics.values()))
    keep = set()
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if re.fullmatch(r"[A-Z][A-Za-z0-9 ,;'\-]+[.?!]", sentence) and 5 <= len(sentence.split()) <= 24:
            keep.add(sentence)
    return sorted(keep)


def corpus(n_templates: int) -> tuple[list[str], list[str]]:
    """(training sentences, held-out sentences); held-out ones never appear in training."""
    docs = _doc_sentences()
    held_docs = [s for s in docs if int(hashlib.md5(s.encode()).hexdigest(), 16) % 10 == 0]
    train_docs = [s for s in docs if s not in set(held_docs)]
    templates = _template_sentences(random.Random(0), n_templates)
    held = set(HELD_OUT_KIOSK) | set(held_docs)
    return [s for s in train_docs + templates if s not in held], HELD_OUT_KIOSK + held_docs


# ---------------------------------------------------------------------------------------------- labels

_STRESS = set("ˈˌ")
_PAUSE = set('^$.,;:!?—–-()"')


def segments(timings) -> list[tuple[float, float, int]]:
    """(start, end, viseme index) per Piper phoneme, in seconds of the clip.

    Rules: BOS/EOS and punctuation are silence; a stress mark shows the next phoneme's viseme (it is
    the vowel's onset); a length mark or other modifier continues the previous viseme; a word gap
    (' ', which Piper gives audible duration in connected speech) shows the previous viseme for its
    first half and the next one for its second half.
    """
    kinds: list[object] = []
    for t in timings:
        sym = t.phoneme
        if sym == " ":
            kinds.append("space")
        elif sym and all(c in _PAUSE for c in sym):
            kinds.append(SIL)
        elif sym and all(c in _STRESS for c in sym):
            kinds.append("next")
        elif viseme_of(sym) == "sil" and sym.strip():
            kinds.append("prev")
        else:
            kinds.append(VISEME_INDEX[viseme_of(sym)])
    resolved: list[object] = list(kinds)
    for i in range(len(resolved)):  # length marks: previous viseme
        if resolved[i] == "prev":
            resolved[i] = resolved[i - 1] if i and isinstance(resolved[i - 1], int) else SIL
    nxt = SIL
    for i in range(len(resolved) - 1, -1, -1):  # stress marks: next viseme
        if resolved[i] == "next":
            resolved[i] = nxt
        elif isinstance(resolved[i], int):
            nxt = resolved[i]
    out = []
    for i, t in enumerate(timings):
        start, end = t.start, t.start + t.duration
        if resolved[i] == "space":
            before = next((r for r in reversed(resolved[:i]) if isinstance(r, int)), SIL)
            after = next((r for r in resolved[i + 1 :] if isinstance(r, int)), SIL)
            mid = (start + end) / 2
            out += [(start, mid, before), (mid, end, after)]
        else:
            out.append((start, end, int(resolved[i])))
    return out


def frame_labels(segs, n_frames: int, *, offset: float = 0.0, speedup: float = 1.0) -> np.ndarray:
    """Viseme index per 10 ms frame: the segment at the frame's time, k / FPS (as in VisemeTrack).

    The clip starts ``offset`` seconds into the audio and was played ``speedup`` times faster.
    """
    labels = np.full(n_frames, SIL, dtype=np.int64)
    centres = np.arange(n_frames) / features.FPS
    source = (centres - offset) * speedup
    starts = np.array([s for s, _, _ in segs])
    ends = np.array([e for _, e, _ in segs])
    ids = np.array([v for _, _, v in segs])
    pos = np.searchsorted(starts, source, side="right") - 1
    inside = (pos >= 0) & (source < ends[np.clip(pos, 0, None)])
    labels[inside] = ids[pos[inside]]
    return labels


# ---------------------------------------------------------------------------------------------- audio


@dataclasses.dataclass
class Clip:
    audio: np.ndarray  # float32 at `rate`
    rate: int
    segs: list[tuple[float, float, int]]


def synthesize(
    tts, sentences: list[str], rng: random.Random, varied: bool, log_every: int = 100
) -> list[Clip]:
    from piper.config import SynthesisConfig

    clips: list[Clip] = []
    started = time.time()
    for n, text in enumerate(sentences):
        if varied:
            # PiperTTS keeps its SynthesisConfig private; training is the one place that varies it per call.
            tts._syn = SynthesisConfig(
                length_scale=1.0 / rng.uniform(0.8, 1.3),
                noise_scale=rng.uniform(0.3, 1.0),
                noise_w_scale=rng.uniform(0.3, 1.2),
                volume=1.0,
            )
        else:
            tts._syn = SynthesisConfig(length_scale=1.0, noise_scale=0.667, noise_w_scale=0.8, volume=1.0)
        for piece in tts.synthesize(text):
            if piece.phonemes and len(piece.audio) > 0:
                clips.append(
                    Clip(np.asarray(piece.audio, np.float32), piece.sample_rate, segments(piece.phonemes))
                )
        if log_every and (n + 1) % log_every == 0:
            print(
                f"  synthesized {n + 1}/{len(sentences)} sentences ({time.time() - started:.0f} s)",
                flush=True,
            )
    return clips


def _reverb(audio: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    rt60 = rng.uniform(0.15, 0.5)
    n = int(rt60 * rate)
    t = np.arange(n) / rate
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    ir[0] = 0.0
    ir *= rng.uniform(0.1, 0.4) / np.sqrt(np.sum(ir**2))
    wet = np.convolve(audio, ir)[: len(audio)] if n < 4096 else _fftconv(audio, ir)
    return (audio + wet).astype(np.float32)


def _fftconv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    return np.fft.irfft(np.fft.rfft(a, size) * np.fft.rfft(b, size), size)[: len(a)]


def augment(clip: Clip, rng: np.random.Generator, strength: str) -> tuple[np.ndarray, float, float]:
    """(16 kHz audio, offset s, speedup) for one variant of a clip. strength: 'clean' or 'heavy'."""
    import soxr

    audio, rate = clip.audio, float(clip.rate)
    speedup = 1.0
    if strength == "heavy" and rng.random() < 0.7:
        speedup = float(rng.uniform(0.88, 1.15))  # pitch and tempo together: a different-sounding voice
    audio = soxr.resample(audio, rate * speedup, features.SAMPLE_RATE) if (rate * speedup) != 16000 else audio
    if strength == "heavy":
        band = rng.random()
        if band < 0.2:  # telephone-like or 11 kHz voices
            low = int(rng.choice([8000, 11025]))
            audio = soxr.resample(soxr.resample(audio, 16000, low), low, 16000)
        if rng.random() < 0.3:
            audio = _reverb(audio, 16000, rng)
    lead = float(rng.uniform(0.0, 0.4)) if strength == "heavy" else 0.0
    tail = float(rng.uniform(0.0, 0.4)) if strength == "heavy" else 0.0
    audio = np.concatenate(
        [np.zeros(int(lead * 16000), np.float32), audio, np.zeros(int(tail * 16000), np.float32)]
    )
    gain_db = rng.uniform(-30.0, 6.0) if strength == "heavy" else rng.uniform(-12.0, 3.0)
    audio = audio * np.float32(10 ** (gain_db / 20))
    if strength == "heavy" and rng.random() < 0.6:
        speech_rms = float(np.sqrt(np.mean(audio**2))) + 1e-9
        snr = rng.uniform(10.0, 45.0)
        noise = rng.standard_normal(len(audio)).astype(np.float32)
        if rng.random() < 0.5:  # brownish noise: fans, traffic
            noise = np.cumsum(noise)
            noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
        noise *= speech_rms / (np.sqrt(np.mean(noise**2)) + 1e-9) / 10 ** (snr / 20)
        audio = audio + noise.astype(np.float32)
    return np.clip(audio, -1.0, 1.0).astype(np.float32), lead, speedup


@dataclasses.dataclass
class Example:
    feats: np.ndarray  # (N, 40)
    labels: np.ndarray  # (N,)
    audio: np.ndarray  # 16 kHz, kept for evaluation only


def make_examples(
    clips: list[Clip], rng: np.random.Generator, variants: list[str], keep_audio: bool
) -> list[Example]:
    out = []
    for clip in clips:
        for strength in variants:
            audio, offset, speedup = augment(clip, rng, strength)
            feats = features.logmel(audio)
            labels = frame_labels(clip.segs, len(feats), offset=offset, speedup=speedup)
            out.append(Example(feats, labels, audio if keep_audio else np.zeros(0, np.float32)))
    return out


# ---------------------------------------------------------------------------------------------- model


def train_model(examples: list[Example], epochs: int, max_minutes: float, seed: int):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    all_feats = np.concatenate([e.feats for e in examples])
    mean, std = all_feats.mean(0), all_feats.std(0) + 1e-3

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = torch.nn.Linear(features.N_MELS, HIDDEN)
            self.gru = torch.nn.GRU(HIDDEN, HIDDEN, LAYERS, batch_first=True)
            self.out = torch.nn.Linear(HIDDEN, len(VISEMES))

        def forward(self, x, h=None):
            y, h = self.gru(torch.relu(self.inp(x)), h)
            return self.out(y), h

    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    batch, window = 32, 200
    rng = np.random.default_rng(seed)
    started = time.time()
    total_frames = sum(len(e.feats) for e in examples)
    steps_per_epoch = total_frames // (batch * window)
    total_steps = steps_per_epoch * epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=total_steps, pct_start=0.1)
    step = 0
    for epoch in range(epochs):
        # One long stream of shuffled clips, cut into `batch` parallel streams; the GRU state is carried
        # across windows (truncated BPTT) so the model learns to run indefinitely, as it does at runtime.
        order = rng.permutation(len(examples))
        x = np.concatenate([examples[i].feats for i in order])
        y = np.concatenate([examples[i].labels for i in order])
        y = np.concatenate([np.full(DELAY, -100, np.int64), y[:-DELAY]])  # output t answers frame t - DELAY
        x = (x - mean) / std
        per = len(x) // batch
        xs = torch.from_numpy(x[: per * batch].reshape(batch, per, -1).astype(np.float32))
        ys = torch.from_numpy(y[: per * batch].reshape(batch, per))
        h = None
        losses, correct, counted = [], 0, 0
        for start in range(0, per - window + 1, window):
            if step >= total_steps:
                break
            logits, h = net(xs[:, start : start + window], h)
            h = h.detach()
            target = ys[:, start : start + window]
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, len(VISEMES)), target.reshape(-1), ignore_index=-100, label_smoothing=0.05
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            losses.append(loss.item())
            valid = target >= 0
            correct += int((logits.argmax(-1)[valid] == target[valid]).sum())
            counted += int(valid.sum())
        elapsed = (time.time() - started) / 60
        print(
            f"  epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.3f}, train frame accuracy "
            f"{correct / max(counted, 1):.3f}, {elapsed:.1f} min",
            flush=True,
        )
        if elapsed > max_minutes:
            print(f"  stopping early: the training time cap of {max_minutes} min is reached", flush=True)
            break
    net.eval()
    return net, mean, std


def export_onnx(net, mean: np.ndarray, std: np.ndarray, out: Path) -> None:
    """Write the GRU as plain ONNX ops (MatMul, GRU, Softmax); the feature normalisation is folded in."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def arr(t) -> np.ndarray:
        return t.detach().cpu().numpy().astype(np.float32)

    w_in = arr(net.inp.weight).T / std[:, None]  # (40, H)
    b_in = arr(net.inp.bias) - (mean / std) @ arr(net.inp.weight).T
    inits = [
        numpy_helper.from_array(w_in.astype(np.float32), "w_in"),
        numpy_helper.from_array(b_in.astype(np.float32), "b_in"),
        numpy_helper.from_array(arr(net.out.weight).T.copy(), "w_out"),
        numpy_helper.from_array(arr(net.out.bias), "b_out"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Transpose", ["features"], ["x_tbf"], perm=[1, 0, 2]),
        helper.make_node("MatMul", ["x_tbf", "w_in"], ["x_lin"]),
        helper.make_node("Add", ["x_lin", "b_in"], ["x_bias"]),
        helper.make_node("Relu", ["x_bias"], ["h0"]),
    ]
    H = HIDDEN

    def reorder(w: np.ndarray) -> np.ndarray:  # PyTorch gates r, z, n -> ONNX z, r, h
        r, z, n = np.split(w, 3, axis=0)
        return np.concatenate([z, r, n], axis=0)

    last_states = []
    for layer in range(LAYERS):
        w_ih = reorder(arr(getattr(net.gru, f"weight_ih_l{layer}")))[None]
        w_hh = reorder(arr(getattr(net.gru, f"weight_hh_l{layer}")))[None]
        b = np.concatenate(
            [
                reorder(arr(getattr(net.gru, f"bias_ih_l{layer}"))),
                reorder(arr(getattr(net.gru, f"bias_hh_l{layer}"))),
            ]
        )[None]
        inits += [
            numpy_helper.from_array(w_ih, f"W{layer}"),
            numpy_helper.from_array(w_hh, f"R{layer}"),
            numpy_helper.from_array(b, f"B{layer}"),
            numpy_helper.from_array(np.array([layer], np.int64), f"s{layer}"),
            numpy_helper.from_array(np.array([layer + 1], np.int64), f"e{layer}"),
            numpy_helper.from_array(np.array([0], np.int64), f"ax{layer}"),
        ]
        nodes += [
            helper.make_node("Slice", ["state", f"s{layer}", f"e{layer}", f"ax{layer}"], [f"init{layer}"]),
            helper.make_node(
                "GRU",
                [f"h{layer}", f"W{layer}", f"R{layer}", f"B{layer}", "", f"init{layer}"],
                [f"y{layer}", f"hn{layer}"],
                hidden_size=H,
                linear_before_reset=1,
            ),
            helper.make_node("Squeeze", [f"y{layer}", "axis1"], [f"h{layer + 1}"]),
        ]
        last_states.append(f"hn{layer}")
    nodes += [
        helper.make_node("Concat", last_states, ["state_out"], axis=0),
        helper.make_node("MatMul", [f"h{LAYERS}", "w_out"], ["logits_lin"]),
        helper.make_node("Add", ["logits_lin", "b_out"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("Transpose", ["probs"], ["visemes"], perm=[1, 0, 2]),
    ]
    graph = helper.make_graph(
        nodes,
        "kiosk_audio_visemes",
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, "T", features.N_MELS]),
            helper.make_tensor_value_info("state", TensorProto.FLOAT, [LAYERS, 1, H]),
        ],
        [
            helper.make_tensor_value_info("visemes", TensorProto.FLOAT, [1, "T", len(VISEMES)]),
            helper.make_tensor_value_info("state_out", TensorProto.FLOAT, [LAYERS, 1, H]),
        ],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="kiosk.lipsync.train"
    )
    model.ir_version = 8
    meta = {
        "visemes": ",".join(VISEMES),
        "fps": str(features.FPS),
        "n_mels": str(features.N_MELS),
        "sample_rate": str(features.SAMPLE_RATE),
        "delay_frames": str(DELAY),
        "features": "kiosk.lipsync.features.logmel (causal 25 ms Hann, 10 ms hop, 40 HTK mel 50-7600 Hz, ln)",
        "trained_on": "Piper en_US-joe-medium (CC0) speech with Piper phoneme alignments as labels",
    }
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))


def check_export(net, mean: np.ndarray, std: np.ndarray, path: Path, feats: np.ndarray) -> float:
    """Largest difference between PyTorch and onnxruntime outputs on real features (must be ~1e-5)."""
    import onnxruntime
    import torch

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = feats[None].astype(np.float32)
    ours, _ = session.run(None, {"features": x, "state": np.zeros((LAYERS, 1, HIDDEN), np.float32)})
    with torch.no_grad():
        logits, _ = net(torch.from_numpy((x - mean) / std).float())
        theirs = torch.softmax(logits, -1).numpy()
    return float(np.abs(ours - theirs).max())


# ---------------------------------------------------------------------------------------------- evaluation


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (np.sqrt((a**2).sum() * (b**2).sum()) + 1e-12))


def scores(pred: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> dict:
    """pred: top-1 viseme per frame; weights: (N, 15) for openness; labels: alignment visemes."""
    speech = labels != SIL
    near = np.zeros(len(labels), bool)  # right within +-20 ms of a label change
    for shift in range(-2, 3):
        near |= pred == np.roll(labels, shift)
    return {
        "frame_accuracy": round(float((pred == labels).mean()), 4),
        "frame_accuracy_speech_frames": round(float((pred[speech] == labels[speech]).mean()), 4),
        "frame_accuracy_within_20ms": round(float(near.mean()), 4),
        "speech_silence_accuracy": round(float(((pred != SIL) == speech).mean()), 4),
        "openness_correlation": round(_pearson(weights @ OPENNESS, OPENNESS[labels]), 4),
    }


def loudness_tuning(examples: list[Example]) -> tuple[float, int]:
    """The best loudness-only classifier on training data: silent below a threshold, else one viseme."""
    mouth = LoudnessMouth()
    opens = np.concatenate([mouth.openness(e.audio, 16000)[: len(e.labels)] for e in examples])
    labels = np.concatenate([e.labels[: len(mouth.openness(e.audio, 16000))] for e in examples])
    counts = np.bincount(labels[labels != SIL], minlength=len(VISEMES))
    best_class = int(np.argmax(counts))
    thresholds = np.linspace(0.02, 0.9, 45)
    acc = [float(np.mean(np.where(opens >= t, best_class, SIL) == labels)) for t in thresholds]
    return float(thresholds[int(np.argmax(acc))]), best_class


def evaluate(model_path: Path, examples: list[Example], threshold: float, best_class: int) -> dict:
    from kiosk.lipsync.audio_model import AudioLipSync

    lipsync = AudioLipSync(model_path)
    mouth = LoudnessMouth()
    model_w, loud_w, loud_tuned, labels = [], [], [], []
    for e in examples:
        w = lipsync.predict(e.audio, 16000)
        o = mouth.openness(e.audio, 16000)
        n = min(len(w), len(o), len(e.labels))
        model_w.append(w[:n])
        loud_w.append(LoudnessMouth.to_weights(o[:n]))
        loud_tuned.append(np.where(o[:n] >= threshold, best_class, SIL))
        labels.append(e.labels[:n])
    mw, lw, lt, lab = (np.concatenate(a) for a in (model_w, loud_w, loud_tuned, labels))
    tuned_w = np.zeros_like(lw)
    tuned_w[np.arange(len(lt)), lt] = 1.0
    return {
        "frames": int(len(lab)),
        "model": scores(mw.argmax(1), mw, lab),
        "loudness_plain": scores(lw.argmax(1), lw, lab),
        "loudness_tuned": scores(lt, lw, lab)
        | {"threshold": round(threshold, 3), "open_viseme": VISEMES[best_class]},
        "label_share_silence": round(float((lab == SIL).mean()), 4),
        "majority_class_accuracy": round(float(np.bincount(lab).max() / len(lab)), 4),
    }


def cpu_cost(model_path: Path, clip: Clip) -> dict:
    """Process time to stream 60 s of 22.05 kHz audio in 20 ms chunks, as % of one core."""
    from kiosk.lipsync.audio_model import AudioLipSync

    lipsync = AudioLipSync(model_path)
    reps = int(np.ceil(60 * clip.rate / len(clip.audio)))
    audio = np.tile(clip.audio, reps)[: 60 * clip.rate]
    chunk = clip.rate // 50
    lipsync.push(audio[:chunk], clip.rate)  # warm-up
    lipsync.reset()
    started = time.process_time()
    frames = 0
    for i in range(0, len(audio), chunk):
        frames += len(lipsync.push(audio[i : i + chunk], clip.rate))
    frames += len(lipsync.flush())
    spent = time.process_time() - started
    return {
        "audio_s": 60.0,
        "cpu_s": round(spent, 3),
        "percent_of_one_core": round(100 * spent / 60.0, 2),
        "frames": frames,
    }


# ---------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.lipsync.train", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("assets/lipsync/visemes.onnx"))
    parser.add_argument("--templates", type=int, default=480, help="generated everyday sentences to add")
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--max-train-minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--limit", type=int, default=0, help="use only this many training sentences (smoke test)"
    )
    args = parser.parse_args(argv)

    try:
        import torch  # noqa: F401
    except ImportError:
        print("training needs PyTorch: pip install torch==2.13.0", file=sys.stderr)
        return 2
    from kiosk.tts.config import PiperSettings
    from kiosk.tts.piper import PiperTTS

    t0 = time.time()
    random.seed(args.seed)
    train_text, held_text = corpus(args.templates)
    if args.limit:
        train_text = random.Random(args.seed).sample(train_text, args.limit)
        held_text = HELD_OUT_KIOSK[:6]
    print(f"{len(train_text)} training sentences, {len(held_text)} held out", flush=True)
    tts = PiperTTS(PiperSettings(threads=1))
    tts.load()
    train_clips = synthesize(tts, train_text, random.Random(args.seed), varied=True)
    held_clips = synthesize(tts, held_text, random.Random(args.seed + 1), varied=False)
    held_varied = synthesize(tts, held_text, random.Random(args.seed + 2), varied=True)
    t_synth = time.time() - t0
    print(f"synthesis done in {t_synth / 60:.1f} min", flush=True)

    rng = np.random.default_rng(args.seed)
    train = make_examples(train_clips, rng, ["clean", "heavy", "heavy"], keep_audio=False)
    tune = make_examples(
        train_clips[:150], np.random.default_rng(args.seed + 5), ["clean", "heavy"], keep_audio=True
    )
    held_clean = make_examples(held_clips, np.random.default_rng(args.seed + 3), ["clean"], keep_audio=True)
    held_heavy = make_examples(held_varied, np.random.default_rng(args.seed + 4), ["heavy"], keep_audio=True)
    train_frames = sum(len(e.feats) for e in train)
    print(
        f"features: {train_frames} training frames ({train_frames / 6000:.1f} min of audio, 3 variants)",
        flush=True,
    )

    t1 = time.time()
    net, mean, std = train_model(train, args.epochs, args.max_train_minutes, args.seed)
    t_train = time.time() - t1
    export_onnx(net, mean, std, args.out)
    mismatch = check_export(net, mean, std, args.out, held_clean[0].feats)
    print(f"exported {args.out}; PyTorch vs onnxruntime max difference {mismatch:.2e}", flush=True)
    if mismatch > 1e-3:
        raise SystemExit("the ONNX export does not match the trained network")

    threshold, best_class = loudness_tuning(tune)
    report = {
        "model": args.out.name,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "python -m kiosk.lipsync.train " + " ".join(argv if argv is not None else sys.argv[1:]),
        "definition": (
            "frame_accuracy: share of 10 ms frames whose top-weighted viseme equals the viseme of the Piper phoneme "
            "at the frame's time k / 100 s (Oculus 15 classes incl. sil); within_20ms: equal to the label of a frame within "
            "+-2 frames; speech_silence_accuracy: sil vs not-sil agreement; openness_correlation: Pearson r between "
            "predicted and label jaw openness (per-viseme openness table). loudness_plain: RMS mouth mixing sil/aa; "
            "loudness_tuned: silent below an openness threshold else the commonest speech viseme, both tuned on "
            "training audio."
        ),
        "architecture": f"log-mel 40 @ 16 kHz, 10 ms hop -> Linear {HIDDEN} + ReLU -> GRU {LAYERS}x{HIDDEN} -> 15 softmax; "
        f"lookahead {(DELAY + 1) * 10} ms after the frame's time",
        "parameters": int(sum(p.numel() for p in net.parameters())),
        "data": {
            "voice": "Piper en_US-joe-medium",
            "train_sentences": len(train_text),
            "train_clips": len(train_clips),
            "train_audio_min_clean": round(sum(len(c.audio) / c.rate for c in train_clips) / 60, 1),
            "train_frames_with_augmentation": int(train_frames),
            "held_out_sentences": len(held_text),
            "held_out_audio_min": round(sum(len(c.audio) / c.rate for c in held_clips) / 60, 2),
        },
        "held_out_clean": evaluate(args.out, held_clean, threshold, best_class),
        "held_out_augmented": evaluate(args.out, held_heavy, threshold, best_class),
        "cpu": cpu_cost(args.out, held_clips[0]),
        "model_bytes": args.out.stat().st_size,
        "wall_time_min": {
            "synthesis": round(t_synth / 60, 1),
            "training": round(t_train / 60, 1),
            "total": round((time.time() - t0) / 60, 1),
        },
    }
    report_path = args.out.with_suffix(".json")
    report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out} and {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
