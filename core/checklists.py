"""Checklists gathered from the apps: site activation and close-out.

The study-site's owner app (trials) must not import the apps that know whether an item is done
(regulatory documents, monitoring visits, queries, payments), so each of those registers a
provider here in its ``AppConfig.ready()``. A provider takes a study-site the caller may already
see and returns its items with a constant number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass

ACTIVATION = "activation"
CLOSE_OUT = "close_out"


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""
    url: str = ""


Provider = Callable[[object], list[ChecklistItem]]
_providers: dict[str, list[tuple[int, str, Provider]]] = {ACTIVATION: [], CLOSE_OUT: []}


def register(checklist: str, name: str, provider: Provider, order: int = 50) -> None:
    entries = _providers[checklist]
    if all(existing_name != name for _, existing_name, _ in entries):
        entries.append((order, name, provider))
        entries.sort(key=lambda entry: (entry[0], entry[1]))


def items(checklist: str, study_site) -> list[ChecklistItem]:
    return [item for _, _, provider in _providers[checklist] for item in provider(study_site)]


def open_items(checklist: str, study_site) -> list[ChecklistItem]:
    return [item for item in items(checklist, study_site) if not item.done]
