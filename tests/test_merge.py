"""pipeline.card.merge: the three-way merge of a hand edit through a new render."""

from __future__ import annotations

from pipeline.card.merge import three_way

BASE = "# Card\n\nline one\nline two\nline three\n"


def test_an_edit_and_a_template_change_in_different_places_both_survive() -> None:
    ours = BASE.replace("line one", "line ONE (template)")
    theirs = BASE.replace("line three", "line three, edited by hand")
    merged = three_way(BASE, ours, theirs)
    assert merged.clean
    assert merged.text == "# Card\n\nline ONE (template)\nline two\nline three, edited by hand\n"


def test_both_sides_changing_one_line_differently_is_a_located_conflict() -> None:
    ours = BASE.replace("line two", "line two (template)")
    theirs = BASE.replace("line two", "line two (hand)")
    merged = three_way(BASE, ours, theirs)
    assert not merged.clean and merged.text is None
    (conflict,) = merged.conflicts
    assert conflict.base_line == 4
    assert conflict.base == ("line two\n",)
    assert conflict.ours == ("line two (template)\n",)
    assert conflict.theirs == ("line two (hand)\n",)


def test_the_same_change_on_both_sides_is_clean_and_crlf_reads_as_lf() -> None:
    both = BASE.replace("line two", "line 2")
    merged = three_way(BASE, both, both.replace("\n", "\r\n"))
    assert merged.clean and merged.text == both


def test_no_edit_gives_the_new_render_and_no_change_gives_the_edit() -> None:
    ours = BASE + "appended by the template\n"
    theirs = BASE.replace("# Card", "# Card (hand)")
    assert three_way(BASE, ours, BASE).text == ours
    assert three_way(BASE, BASE, theirs).text == theirs
