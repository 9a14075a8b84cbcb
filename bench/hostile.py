"""A corpus of hostile inputs: bad manifests and bad templates, each a user mistake or an attack.

Every case must make nb-release exit 1 with a located error (file:line), no traceback, nothing
written. The first failures found are among them, marked `row N` after the kind of failure they
showed: 5 a template ran code; 6 a traceback; 7 a hang; 11 free text accepted unchecked;
12 an oversize card refused only by the Hub; 13 a message that did not say what or where.
`cases()` yields (name, {relative path: bytes}); files under cards/ are laid over the real cards.
The folders of tests/cases/ (the manifest helper's corpus) are added by `corpus_cases()`.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Case = tuple[str, dict[str, bytes]]

DEFAULTS = {
    "namespace": '"NbAiLab"',
    "developer": '"National Library of Norway (NB-AiLab)"',
    "author": '"Per Egil Kummervold"',
    "knowledge_cutoff": '"May 2024"',
    "pipeline_tag": '"text-generation"',
    "languages": '["no", "nb", "nn", "en"]',
    "tags": '["norwegian", "text-generation"]',
}
LICENSES = {'"3.1"': '"llama3.1"', '"3.2"': '"llama3.2"'}
BASE = {
    "name": '"nb-llama-3.1-8B"',
    "kind": '"base"',
    "llama_version": '"3.1"',
    "size": '"8B"',
    "base_model": '"meta-llama/Llama-3.1-8B"',
}
GGUF = {
    "name": '"nb-llama-3.1-8B-Q4_K_M-GGUF"',
    "kind": '"gguf"',
    "llama_version": '"3.1"',
    "size": '"8B"',
    "base_model": '"NbAiLab/nb-llama-3.1-8B"',
    "quantization": '"Q4_K_M"',
    "gguf_file": '"nb-llama-3.1-8b-q4_k_m.gguf"',
}

# A marker a template attack writes if it manages to run a shell command.
PWNED = "nb-release-hostile-pwned"


def manifest(
    defaults: dict[str, str] | None = None,
    models: list[dict[str, str]] | None = None,
    tail: str = "",
) -> str:
    """The TOML text of a small valid manifest (base + GGUF), with replaced parts."""
    lines = ["[defaults]"]
    lines += [f"{k} = {v}" for k, v in (defaults if defaults is not None else DEFAULTS).items()]
    lines += ["", "[defaults.licenses]"] + [f"{k} = {v}" for k, v in LICENSES.items()]
    lines += ["", "[kinds.gguf]", 'extra_tags = ["llama-cpp", "gguf", "quantization"]']
    for model in models if models is not None else [BASE, GGUF]:
        lines += ["", "[[models]]"] + [f"{k} = {v}" for k, v in model.items()]
    return "\n".join(lines) + "\n" + tail


def _with(model: dict[str, str], **values: str) -> dict[str, str]:
    result = dict(model)
    for key, value in values.items():
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _m(text: str | bytes) -> dict[str, bytes]:
    return {"models.toml": text if isinstance(text, bytes) else text.encode("utf-8")}


def _base_field(**values: str) -> dict[str, bytes]:
    # The base variant alone: a GGUF child would fail on its parent's change instead.
    return _m(manifest(models=[_with(BASE, **values)]))


def _gguf_field(**values: str) -> dict[str, bytes]:
    return _m(manifest(models=[BASE, _with(GGUF, **values)]))


def _default(**values: str) -> dict[str, bytes]:
    return _m(manifest(defaults={**DEFAULTS, **values}))


def _template(body: str | bytes, name: str = "base.md.j2") -> dict[str, bytes]:
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return {**_m(manifest()), f"cards/{name}": data}


def _front(yaml_text: str) -> str:
    """A base template whose front matter is `yaml_text` (replacing the layout's)."""
    return (
        '{% extends "_layout.md.j2" %}\n{% block front_matter -%}\n---\n'
        + yaml_text
        + "\n---\n{% endblock %}\n"
    )


def manifest_cases() -> Iterator[Case]:
    # TOML syntax and encoding (row 13)
    yield "toml-unterminated-string", _m(manifest() + 'name = "oops\n')
    yield "toml-bare-word-value", _m(manifest() + "extra = oops\n")
    yield (
        "toml-duplicate-key",
        _m(
            manifest(models=[{**BASE}, GGUF]).replace(
                'kind = "base"', 'kind = "base"\nkind = "sft"', 1
            )
        ),
    )
    yield "toml-duplicate-table", _m(manifest() + '\n[defaults]\nnamespace = "x"\n')
    yield "toml-bad-escape", _base_field(display_name='"bad \\q escape"')
    # A BOM alone may be accepted; with a mistake after it, the line must still be right.
    yield "toml-utf8-bom (row 13)", _m(b"\xef\xbb\xbf" + (manifest() + 'x = "oops\n').encode())
    yield "toml-invalid-utf8", _m(manifest().encode() + b'\nx = "\xff\xfe"\n')
    yield "toml-nul-byte", _m(manifest().encode() + b"\x00\n")
    yield "toml-lone-bracket", _m(manifest() + "[\n")
    yield "toml-array-of-tables-conflict", _m(manifest() + "\nmodels = 3\n")
    yield "toml-empty-file", _m("")
    yield "toml-only-comment", _m("# nothing here\n")
    yield "toml-binary-garbage", _m(bytes(range(256)) * 4)
    # structure (row 13, row 6)
    yield "models-is-a-string (row 13)", _m(manifest(models=[]) + 'models = "x"\n')
    yield "models-empty-array", _m(manifest(models=[]) + "models = []\n")
    yield "models-missing", _m(manifest(models=[]))
    yield "models-is-a-table", _m(manifest(models=[]) + '[models]\nname = "x"\n')
    yield "defaults-is-a-string", _m(manifest().replace("[defaults]\n", 'defaults = "x"\n[d]\n', 1))
    yield (
        "nested-table-300 (row 13)",
        _m(manifest() + "\n[" + ".".join(f"t{i}" for i in range(300)) + "]\nx = 1\n"),
    )
    yield (
        "inline-tables-2000-deep (row 6)",
        _m(manifest() + "deep = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"),
    )
    yield "arrays-5000-deep (row 6)", _m(manifest() + "deep = " + "[" * 5000 + "]" * 5000 + "\n")
    yield "unknown-top-level-key", _m(manifest() + "\nreleases = 3\n")
    yield "unknown-model-key", _base_field(lisence='"mit"')
    yield "kinds-unknown-kind", _m(manifest() + '\n[kinds.weird]\ntags = ["x"]\n')
    yield "model-is-a-string", _m(manifest() + "\n[[models]]\n")
    # names and ids (rows 6, 11)
    yield "name-ends-dot-git (row 6)", _base_field(name='"nb-llama-3.1-8B.git"')
    yield "name-dotdot", _base_field(name='".."')
    yield "name-with-slash", _base_field(name='"a/b"')
    yield "name-leading-dash", _base_field(name='"-x"')
    yield "name-empty", _base_field(name='""')
    yield "name-too-long", _base_field(name='"' + "n" * 120 + '"')
    yield "name-newline", _base_field(name='"a\\nb"')
    yield "name-unicode", _base_field(name='"nb-llamå"')
    yield "name-is-int", _base_field(name="3")
    yield "name-missing", _base_field(name="")
    yield "duplicate-repo-id", _m(manifest(models=[BASE, BASE]))
    yield "gguf-size-differs", _gguf_field(size='"1B"')
    yield (
        "duplicate-repo-id-case",
        _m(manifest(models=[BASE, _with(BASE, name='"NB-llama-3.1-8B"')])),
    )
    yield "namespace-with-slash", _default(namespace='"Nb/AiLab"')
    yield "namespace-empty", _default(namespace='""')
    yield "namespace-dot-git", _default(namespace='"NbAiLab.git"')
    yield "base-model-bad-id", _base_field(base_model='"not a repo id"')
    yield "base-model-self", _base_field(base_model='"NbAiLab/nb-llama-3.1-8B"')
    yield "base-model-url", _base_field(base_model='"https://evil.example/x"')
    yield "base-model-missing-variant", _gguf_field(base_model='"NbAiLab/nb-llama-9-9B"')
    # versions and sizes (rows 11, 13)
    yield "llama-version-newline (row 13)", _base_field(llama_version='"3.1\\n"')
    yield "llama-version-float", _base_field(llama_version="3.1")
    yield "llama-version-unknown", _base_field(llama_version='"9.9"')
    yield "llama-version-empty", _base_field(llama_version='""')
    yield "size-0B (row 11)", _base_field(size='"0B"')
    yield "size-huge (row 11)", _base_field(size='"99999999999999999999999B"')
    yield "size-words", _base_field(size='"big"')
    yield "size-negative", _base_field(size='"-8B"')
    yield "size-int", _base_field(size="8")
    yield "kind-unknown", _base_field(kind='"mystery"')
    yield "kind-int", _base_field(kind="1")
    # free text (row 11)
    yield "gguf-file-traversal-html (row 11)", _gguf_field(gguf_file='"../../x.gguf\\n<img src=x>"')
    yield "gguf-file-nul", _gguf_field(gguf_file='"x\\u0000.gguf"')
    yield "gguf-file-not-gguf", _gguf_field(gguf_file='"model.bin"')
    yield "gguf-file-absolute", _gguf_field(gguf_file='"/etc/passwd.gguf"')
    yield "gguf-file-space-newline", _gguf_field(gguf_file='"a b\\nc.gguf"')
    yield "display-name-nul (row 11)", _base_field(display_name='"NB\\u0000Llama"')
    yield (
        "display-name-front-matter (row 11)",
        _base_field(display_name='"x\\n---\\nlicense: mit\\n---"'),
    )
    yield "display-name-control", _base_field(display_name='"bell\\u0007"')
    yield "display-name-1mb", _base_field(display_name='"' + "x" * 1_000_000 + '"')
    yield "quantization-newline", _gguf_field(quantization='"Q4\\nK"')
    yield "quantization-html", _gguf_field(quantization='"<script>alert(1)</script>"')
    yield "parameters-control", _base_field(parameters='"8\\u001b[31mB"')
    yield "knowledge-cutoff-newlines", _default(knowledge_cutoff='"May\\n---\\nlicense: mit"')
    yield "developer-empty", _default(developer='""')
    yield "author-int", _default(author="42")
    # tags, languages, licences, links
    yield "tags-not-a-list", _default(tags='"norwegian"')
    yield "tag-with-space", _default(tags='["two words"]')
    yield "tag-with-newline", _default(tags='["a\\nb: c"]')
    yield "tag-empty", _default(tags='[""]')
    yield "tag-yaml-special", _default(tags='["- x", "{a: b}"]')
    yield "tags-10000", _default(tags="[" + ", ".join(f'"t{i}"' for i in range(10000)) + "]")
    yield "languages-empty", _default(languages="[]")
    yield "language-unknown", _default(languages='["xx-klingon"]')
    yield "language-int", _default(languages="[1]")
    yield "pipeline-tag-unknown", _default(pipeline_tag='"text-to-everything"')
    yield "license-unknown", _base_field(license='"whatever-1.0"')
    yield "license-mismatch", _base_field(license='"llama3.2"')
    yield "license-missing-for-version", _base_field(llama_version='"3.3"')
    yield (
        "link-javascript",
        _m(
            manifest().replace(
                "[defaults.licenses]",
                '[defaults.links]\nx = "javascript:alert(1)"\n\n[defaults.licenses]',
            )
        ),
    )
    yield (
        "link-not-a-url",
        _m(
            manifest().replace(
                "[defaults.licenses]", '[defaults.links]\nx = "not a url"\n\n[defaults.licenses]'
            )
        ),
    )
    yield "allow-create-string", _base_field(allow_create='"yes"')
    yield "library-name-newline", _default(library_name='"trans\\nformers"')
    # templates named by the manifest
    yield "template-traversal", _base_field(template='"../../etc/passwd"')
    yield "template-absolute", _base_field(template='"/etc/passwd"')
    yield "template-missing", _base_field(template='"nothere.md.j2"')
    yield "template-is-a-folder", _base_field(template='"."')


def template_cases(marker_dir: Path) -> Iterator[Case]:
    pwned = marker_dir / PWNED
    # code execution (row 5): the payload only creates a marker file
    yield (
        "ssti-cycler-globals (row 5)",
        _template(
            "{{ cycler.__init__.__globals__.os.popen('touch " + str(pwned) + "').read() }}\n"
        ),
    )
    yield (
        "ssti-lipsum-globals (row 5)",
        _template("{{ lipsum.__globals__['os'].popen('touch " + str(pwned) + "').read() }}\n"),
    )
    yield (
        "ssti-mro-subclasses (row 5)",
        _template("{{ ''.__class__.__mro__[1].__subclasses__() }}\n"),
    )
    yield "ssti-self-dunder", _template("{{ self.__init__.__globals__ }}\n")
    yield "ssti-config-environ", _template("{{ joiner.__init__.__globals__.os.environ }}\n")
    yield "ssti-namespace-attr", _template("{{ namespace.__init__.__globals__ }}\n")
    # tracebacks and hangs (rows 6, 7)
    yield "division-by-zero (row 6)", _template("{{ 1/0 }}\n")
    yield (
        "recursive-macro (row 6)",
        _template("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}\n"),
    )
    yield "self-extending-template (row 6)", _template('{% extends "base.md.j2" %}\n')
    yield "self-including-template", _template('{% include "base.md.j2" %}\n')
    yield (
        "mutual-extends",
        {
            **_template('{% extends "other.md.j2" %}\n'),
            "cards/other.md.j2": b'{% extends "base.md.j2" %}\n',
        },
    )
    yield (
        "billion-laughs-front-matter (row 7)",
        _template(
            _front(
                'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                + "".join(
                    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
                    for i in range(8)
                )
                + "license: llama3.1"
            )
        ),
    )
    yield "yaml-alias-small", _template(_front("x: &x llama3.1\nlicense: *x"))
    yield "cpu-loop-template", _template("{% for i in range(100000000) %}{% endfor %}done\n")
    yield "huge-output-template", _template("{{ 'x' * 30000000 }}\n")
    # syntax and undefined names
    yield "template-syntax-error", _template("{% if %}\n")
    yield "template-unclosed-block", _template("{% for x in [1] %}\n")
    yield "template-undefined-var", _template("{{ no_such_thing.attr }}\n")
    yield "template-undefined-filter", _template("{{ 'x' | no_such_filter }}\n")
    yield "template-undefined-macro", _template("{{ m.no_such_macro() }}\n")
    yield "template-bad-include", _template('{% include "missing.md.j2" %}\n')
    yield "template-include-outside", _template('{% include "../models.toml" %}\n')
    yield "template-include-absolute", _template('{% include "/etc/passwd" %}\n')
    yield "template-nul-byte", _template(b"{{ model.name }}\x00\n")
    yield "template-invalid-utf8", _template(b"{{ model.name }}\xff\xfe\n")
    yield "template-layout-syntax", {**_m(manifest()), "cards/_layout.md.j2": b"{% block %}\n"}
    yield "template-macros-broken", {**_m(manifest()), "cards/_macros.md.j2": b"{% macro %}\n"}
    yield "template-raise-via-call", _template("{{ model.name() }}\n")
    yield "template-int-attr", _template("{{ (1).real.imag.numerator.x.y }}\n")
    # the rendered card's front matter (row 12 and friends)
    yield "front-matter-missing", _template("# no front matter\n")
    yield "front-matter-unclosed", _template("---\nlicense: llama3.1\n# body\n")
    yield "front-matter-bad-yaml", _template(_front("license: [unclosed"))
    yield "front-matter-tab", _template(_front("license:\tllama3.1\n\tx: y"))
    yield "front-matter-duplicate-key", _template(_front("license: llama3.1\nlicense: mit"))
    yield "front-matter-not-mapping", _template(_front("- a\n- b"))
    yield "front-matter-wrong-license", _template(_front("license: mit"))
    yield "front-matter-bad-tag-type", _template(_front("license: llama3.1\ntags: 3"))
    yield "front-matter-python-tag", _template(_front("license: !!python/object:os.system ['id']"))
    yield "front-matter-yaml11-bool", _template(_front("license: llama3.1\nlanguage:\n- no"))
    yield "front-matter-huge-int", _template(_front("license: llama3.1\nx: 1" + "0" * 5000))
    yield (
        "oversize-card-8mib (row 12)",
        _template(
            '{% extends "_layout.md.j2" %}{% block citing %}'
            + "x" * (8 * 1024 * 1024)
            + "{% endblock %}"
        ),
    )


def corpus_cases() -> Iterator[Case]:
    """The folders of tests/cases/ (manifest, optional cards overlay), as cases."""
    from bench import drive

    folder = drive.PRODUCT / "tests" / "cases"
    if not folder.is_dir():
        return
    for case in sorted(p for p in folder.iterdir() if p.is_dir()):
        files: dict[str, bytes] = {}
        for path in case.rglob("*"):
            rel = path.relative_to(case).as_posix()
            if path.is_file() and (rel == "models.toml" or rel.startswith("cards/")):
                files[rel] = path.read_bytes()
        if "models.toml" in files:
            yield f"tests/cases/{case.name}", files


# name -> judge(status, stdout, stderr) -> problems, for the cases that bring their own judge
JUDGES: dict[str, Callable[[int, str, str], list[str]]] = {}


def helper_corpus_cases() -> Iterator[Case]:
    """The product's tests/hostile/corpus.py (the manifest helper's corpus), with its judge."""
    from bench import drive

    path = drive.PRODUCT / "tests" / "hostile" / "corpus.py"
    if not path.exists():
        return
    # Its `pipeline` imports must resolve to the product under measurement.
    sys.path.insert(0, str(drive.PRODUCT))
    spec = importlib.util.spec_from_file_location("nb_product_hostile_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    for case in module.CASES:
        name = f"tests/hostile/{case.name}"

        def judge(status: int, out: str, err: str, case: object = case) -> list[str]:
            found: list[str] = module.judge(case, status, out, err)
            return found

        JUDGES[name] = judge
        yield name, module.as_files(case)


def cases(marker_dir: Path) -> list[Case]:
    return [
        *manifest_cases(),
        *template_cases(marker_dir),
        *corpus_cases(),
        *helper_corpus_cases(),
    ]
