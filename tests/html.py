"""Reading what a page offers, for tests that assert on rendered forms."""

import re


def select_options(body: str, name: str) -> list[tuple[str, bool, str]]:
    """(value, selected, label) of each option of the drop-down named ``name`` in ``body``."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, f"no {name} drop-down"
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1)
        )
    ]
