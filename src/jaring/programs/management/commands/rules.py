import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jaring.programs.docs import render_rules_markdown
from jaring.programs.evaluator import evaluate_many
from jaring.programs.rulebook import RULES_FILE, RuleBook


class Command(BaseCommand):
    help = "Programme rules: evaluate JSON cases, or write docs/RULES.md from the rule data."

    def add_arguments(self, parser):
        parser.add_argument("--rules-file", type=Path, default=RULES_FILE)
        actions = parser.add_subparsers(dest="action", required=True)
        evaluate = actions.add_parser(
            "evaluate", help="judge the case(s) in a JSON file (- = stdin)"
        )
        evaluate.add_argument("case_file")
        evaluate.add_argument("--indent", type=int, default=2)
        actions.add_parser("docs", help="print docs/RULES.md, generated from the rule data")

    def handle(self, *args, **options):
        book = RuleBook.from_toml(options["rules_file"])
        if options["action"] == "docs":
            self.stdout.write(render_rules_markdown(book), ending="")
            return
        cases = self._read_cases(options["case_file"])
        result = evaluate_many(cases, book)
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=options["indent"] or None))

    @staticmethod
    def _read_cases(name: str):
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror}") from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name} is not JSON: {exc}") from exc
