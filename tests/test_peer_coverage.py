"""scenarios/peer-coverage.yaml: the SDK teams' and the Milvus project's own connection tests, mapped to
this suite. The map stays true: every scenario it names exists, every entry says what became of its
test, and a proposal disappears once its scenario is written."""

from collections import Counter

import yaml

from conformance.paths import SCENARIOS_DIR
from conformance.scenario.loader import load_file, scenario_files

PEERS = {"milvus-io/milvus", "milvus-io/pymilvus", "milvus-io/milvus-sdk-node", "milvus-io/milvus-sdk-go",
         "milvus-io/milvus-sdk-java"}
OUTCOMES = ("scenarios", "excluded", "proposed")


def _map():
    return yaml.safe_load((SCENARIOS_DIR / "peer-coverage.yaml").read_text())


def _scenario_ids():
    return {s.id for f in scenario_files(SCENARIOS_DIR) for s in load_file(f)}


def test_every_entry_names_its_peer_test_and_says_exactly_one_thing_about_it():
    for entry in _map()["entries"]:
        assert entry["peer"]["repo"] and entry["peer"]["path"] and entry["test"] and entry["behaviour"], entry
        said = [key for key in OUTCOMES if entry.get(key)]
        assert len(said) == 1, (entry["test"], said)
        if "excluded" in said:
            assert len(entry["excluded"]) > 20, entry["test"]  # a reason, not a label


def test_the_five_sdk_repositories_and_the_milvus_repository_are_covered():
    # the Go client v2 lives in the milvus repository (client/milvusclient)
    assert PEERS <= {entry["peer"]["repo"] for entry in _map()["entries"]}
    assert any(e["peer"]["path"].startswith("client/") for e in _map()["entries"]
               if e["peer"]["repo"] == "milvus-io/milvus")


def test_mapped_scenarios_exist_and_proposals_are_described_used_and_not_yet_written():
    data, existing = _map(), _scenario_ids()
    proposals = data["proposals"]
    used = Counter()
    for entry in data["entries"]:
        for sid in entry.get("scenarios") or []:
            assert sid in existing, f"{entry['test']}: no scenario '{sid}'"
        named = entry.get("proposed") or []
        for pid in ([named] if isinstance(named, str) else named) + list(entry.get("gap") or []):
            assert pid in proposals, f"{entry['test']}: proposal '{pid}' is not described"
            used[pid] += 1
    assert set(proposals) == set(used), f"described but never used: {set(proposals) - set(used)}"
    written = set(proposals) & existing
    assert not written, f"scenarios now exist for {written}: move their entries to `scenarios`"
    for pid, proposal in proposals.items():
        assert proposal["level"] in ("must", "should", "info") and proposal["title"] and proposal["source"], pid
