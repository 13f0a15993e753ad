"""Piper TTS with per-phoneme alignments.

Alignments need an extra output in the voice's ONNX graph. The voice is patched once with the onnx
package and the patched copy kept in the cache folder, so later starts load it directly (the in-memory
patch Piper offers costs ~150 MB more RAM at every start).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk import models, paths
from kiosk.errors import EngineError, ModelError
from kiosk.pipeline.messages import PhonemeTiming
from kiosk.tts.base import Cancelled, Synthesized
from kiosk.tts.config import PiperSettings

log = logging.getLogger(__name__)

_UNSPEAKABLE = re.compile(r"[^\w\s.,!?;:'\"()\-–—%$€£&/+]", re.UNICODE)


class _CancellableSession:
    """Wraps an onnxruntime session so another thread can abort the run in progress."""

    def __init__(self, session) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._active = None
        self._cancel_requested = False

    def run(self, output_names, feed, run_options=None):
        import onnxruntime

        options = onnxruntime.RunOptions()
        with self._lock:
            if self._cancel_requested:
                self._cancel_requested = False
                raise Cancelled()
            self._active = options
        try:
            return self._session.run(output_names, feed, options)
        except Exception as exc:
            if options.terminate:
                raise Cancelled() from None
            raise EngineError(f"Piper synthesis failed: {exc}") from None
        finally:
            with self._lock:
                self._active = None

    def terminate(self) -> None:
        with self._lock:
            if self._active is not None:
                self._active.terminate = True

    def __getattr__(self, name):
        return getattr(self._session, name)


def _patched_copy(model: Path) -> Path | None:
    """A copy of the voice with the alignment output, made once; None if it cannot be made."""
    stat = model.stat()
    key = hashlib.sha256(f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = paths.cache_dir() / "voices" / f"{model.stem}-{key}-aligned.onnx"
    if target.exists():
        return target
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        log.warning("the onnx package is missing: voice %s gives no phoneme timings", model)
        return None
    try:
        graph = onnx.load(str(model))
        add_alignment_output(graph)
    except ValueError:
        return model  # already patched
    except Exception as exc:
        raise ModelError(f"the Piper voice is not a valid ONNX model: {model} ({exc})", fix="replace the voice file") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    onnx.save(graph, str(tmp))
    tmp.replace(target)
    return target


class PiperTTS:
    name = "piper"

    def __init__(self, settings: PiperSettings) -> None:
        self.settings = settings
        self._voice: Any = None
        self._session: _CancellableSession | None = None
        self._syn: Any = None
        self.sample_rate = 22050
        self.aligned = False

    def voice_files(self) -> tuple[Path, Path]:
        if self.settings.voice == "joe":
            model = models.check_embedded(models.PIPER_JOE, kind="Piper voice", setting="engines.tts.voice")
        else:
            model = models.check_file(Path(self.settings.voice), kind="Piper voice", setting="engines.tts.voice")
        config = model.with_name(model.name + ".json")
        models.check_file(config, kind="Piper voice settings (.onnx.json)", setting="engines.tts.voice")
        return model, config

    def load(self) -> None:
        import json

        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig, SynthesisConfig

        model, config_path = self.voice_files()
        try:
            config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"unreadable Piper voice settings {config_path}: {exc}", fix="replace the .onnx.json file") from None
        source = _patched_copy(model) or model
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.settings.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # The arena keeps every buffer it ever grew to (doubling for the longest line so far) and
        # never returns it: RSS climbed ~50 MB over a 500-turn soak with it, +11 MB without.
        options.enable_cpu_mem_arena = False
        try:
            session = onnxruntime.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot load the Piper voice {model}: {exc}", fix="replace the voice file") from None
        self.aligned = len(session.get_outputs()) > 1
        self._session = _CancellableSession(session)
        self._voice = PiperVoice(config=config, session=self._session)
        self.sample_rate = config.sample_rate
        self._syn = SynthesisConfig(
            speaker_id=self.settings.speaker,
            length_scale=1.0 / self.settings.speed,
            noise_scale=self.settings.variation,
            noise_w_scale=self.settings.rhythm_variation,
            volume=self.settings.volume,
        )
        for _ in self.synthesize("Hello."):
            pass

    def cancel(self) -> None:
        if self._session is not None:
            self._session.terminate()

    def synthesize(self, text: str) -> Iterator[Synthesized]:
        if self._voice is None:
            raise EngineError("Piper used before load()")
        text = _UNSPEAKABLE.sub(" ", text).strip()
        if not text:
            return
        try:
            chunks = self._voice.synthesize(text, syn_config=self._syn, include_alignments=self.aligned)
            for chunk in chunks:
                yield Synthesized(chunk.audio_float_array, chunk.sample_rate, self._timings(chunk))
        except (Cancelled, EngineError):
            raise
        except Exception as exc:  # espeak/phoneme-map problems on odd text
            raise EngineError(f"Piper could not speak {text[:60]!r}: {exc}") from None

    def _timings(self, chunk) -> tuple[PhonemeTiming, ...]:
        if not chunk.phoneme_alignments:
            return ()
        rate = float(chunk.sample_rate)
        timings, position = [], 0
        for alignment in chunk.phoneme_alignments:
            timings.append(PhonemeTiming(alignment.phoneme, position / rate, int(alignment.num_samples) / rate))
            position += int(alignment.num_samples)
        return tuple(timings)
