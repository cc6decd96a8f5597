"""Every template the pages' loader can reach compiles with the pages' filters (the start-up
warm-up compiles them all; a filter only the reports registered once made it fail)."""

from __future__ import annotations

from clusterhub.web.rendering import make_templates


def test_every_reachable_template_compiles() -> None:
    env = make_templates().env
    names = [name for name in env.list_templates() if name.endswith(".html")]
    assert "_layout.html" in names  # the report templates are in the loader
    for name in names:
        env.get_template(name)  # raises TemplateAssertionError on an unknown filter
