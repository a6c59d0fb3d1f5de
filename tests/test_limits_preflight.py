"""The preflight of the connection limit: the environment's ceiling, in one sentence."""

import os
import resource

from conformance.limits.preflight import verdict


def test_the_ceiling_is_the_tightest_bound_and_is_explained():
    result = verdict(target=65_536, server_pid=os.getpid(), shards=4)
    names = [b["name"] for b in result["bounds"]]
    assert names == ["server_open_files", "client_open_files", "ephemeral_ports", "memory"]
    tightest = min(result["bounds"], key=lambda b: b["connections"])
    assert result["ceiling"] == min(65_536, tightest["connections"])
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < 65_536:  # as on this workplace's machines: 20,000 files per process
        assert result["limited"]
        assert result["sentence"].startswith(f"limited by the environment at {tightest['connections']:,} connections")
        assert f"{soft:,} files" in result["sentence"]


def test_a_small_target_is_not_limited():
    result = verdict(target=100, server_pid=os.getpid())
    assert result == {**result, "ceiling": 100, "limited": False}
    assert result["sentence"] == "this environment can hold the target of 100 connections"
