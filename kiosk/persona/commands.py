"""`kiosk persona ...` subcommands: check, new, docs, eval."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

EXIT_PROBLEM = 2
DOCS = Path("docs/PERSONAS.md")


def _check(args: argparse.Namespace) -> int:
    from kiosk.errors import KioskError
    from kiosk.persona import PersonaError, read_persona_file

    status = 0
    for file in args.files:
        try:
            loaded = read_persona_file(file)
            print(f"{file}: OK")
            for notice in loaded.notices:
                print(f"  note: {notice}")
        except PersonaError as exc:
            print(exc.message)
            status = EXIT_PROBLEM
        except KioskError as exc:
            print(str(exc))
            status = EXIT_PROBLEM
    return status


def _new(args: argparse.Namespace) -> int:
    from kiosk import paths
    from kiosk.errors import KioskError
    from kiosk.persona.template import template

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", args.name):
        raise KioskError(
            f"'{args.name}' cannot be a persona id",
            fix="use lower case letters, digits, - and _ (e.g. museum-guide)",
        )
    target = args.output or paths.config_dir() / f"{args.name}.toml"
    if target.exists() and not args.force:
        raise KioskError(
            f"{target} already exists", fix="choose another name, or add --force to overwrite it"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(template(args.name), encoding="utf-8")
    print(f"wrote {target}\nedit it, then run: kiosk persona check {target}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    from kiosk.persona.template import reference_markdown

    text = reference_markdown()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `kiosk persona docs`")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from kiosk.knowledge.answerer import GroundedPrompts
    from kiosk.knowledge.evaluate import evaluate
    from kiosk.knowledge.questions import load_questions
    from kiosk.llm import create_llm
    from kiosk.persona import load_persona

    persona = load_persona(args.file)
    questions = load_questions(args.questions)
    if args.limit:
        questions = questions[: args.limit]
    prompts = GroundedPrompts(persona)
    llm = create_llm(persona.engines.llm)
    llm.load()
    llm.prime([{"role": "system", "content": prompts.system_prompt()}])
    report = evaluate(prompts, llm, questions)
    for outcome in report.outcomes:
        mark = {"correct": "ok", "refused": "ok (refused)", "invented": "INVENTED", "wrong": "WRONG"}[
            outcome.verdict
        ]
        extra = f" invented: {', '.join(outcome.invented)}" if outcome.invented else ""
        if args.verbose or outcome.verdict in ("invented", "wrong"):
            print(
                f"[{mark}] ({outcome.question.expect}, {outcome.decision}) {outcome.question.text}\n    -> {outcome.answer}{extra}"
            )
    print(report.summary())
    return 1 if report.counts()["invented"] else 0


def register(sub: argparse._SubParsersAction) -> None:
    persona = sub.add_parser("persona", help="persona files: check, new, docs, eval")
    persona_sub = persona.add_subparsers(dest="persona_command", required=True)
    check = persona_sub.add_parser("check", help="validate persona files and list every problem")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(func=_check)

    new = persona_sub.add_parser("new", help="write a commented persona template")
    new.add_argument("name", help="persona id: lower case, digits, - and _")
    new.add_argument(
        "-o", "--output", type=Path, help="where to write it (default: the kiosk's config folder)"
    )
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(func=_new)

    docs = persona_sub.add_parser("docs", help="write the persona reference (Markdown) from the schema")
    docs.add_argument("-o", "--output", type=Path, default=DOCS, help=f"default: {DOCS}")
    docs.add_argument("--check", action="store_true", help="only say whether the file is up to date")
    docs.set_defaults(func=_docs)

    ev = persona_sub.add_parser(
        "eval", help="run typed questions through the real matching and language model"
    )
    ev.add_argument("file", type=Path, help="persona file")
    ev.add_argument(
        "--questions", required=True, type=Path, help="question file (TOML, see assets/personas/)"
    )
    ev.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ev.add_argument("--verbose", action="store_true", help="print every answer, not only the wrong ones")
    ev.set_defaults(func=_eval)
