"""Builds and servers ready before the first cell needs them.

Which drivers and server profiles a run uses is known once it is collected:
each is started then, all at once, in background threads, instead of when
the first cell that needs it comes up (on a fresh machine, driver builds
one after another were most of the first run). Builds and servers are
shared across the run's processes (shared_state.once), so whichever process
asks first does the work and the others wait for it or find it done; a
failure is recorded there as it would be otherwise, and the cells that need
it report it."""

import threading


def prepare_ahead(state, items: list) -> "list[threading.Thread]":
    drivers = sorted({item.driver for item in items})
    servers = sorted({(item.scenario.requires.profile, item.server_version or "") for item in items
                      if not item.scenario.requires.private_server})

    def quietly(work, *args):
        try:
            work(*args)
        except BaseException:  # recorded by the shared state; the cells report it
            pass

    threads = [threading.Thread(target=quietly, args=(state.build, d), daemon=True, name=f"build-{d}")
               for d in drivers]
    threads += [threading.Thread(target=quietly, args=(state.pool.get, p, v or None), daemon=True,
                                 name=f"server-{p}") for p, v in servers]
    for thread in threads:
        thread.start()
    return threads
