# SPDX-License-Identifier: MIT
"""Suite 3, crashes (RELIABILITY.md): 20 kill -9 at random moments while asyncfgd syncs N
resources (once a random share of the PUTs still to make has reached the cloud), restarting
it each time (the desired values change every second restart, so every
kill falls in a sync). After each kill the state store opens read-only and passes SQLite's
integrity check; at the end everything converges; and the request log shows that nothing in
sync was written again: no resource had a second PUT of the same desired values (which the
cloud already held, as the GET before it answered)."""

import os
import random
import signal
import sqlite3
import time

from rellib import (LONG, MultiDaemon, create_functions, read_log, resources, wait_for, wait_live,
                    write_figures)

N = 1000 if LONG else 100
KILLS = 20
LATENCY = {"latencyMs": 10, "jitterMs": 20}  # stretches the sync, no failures


def put_count(fake):
    return fake.stats()["byMethod"].get("PUT", 0)


def integrity(state_dir):
    db = sqlite3.connect(f"file:{os.path.join(state_dir, 'state.db')}?mode=ro", uri=True, timeout=5)
    try:
        check = db.execute("PRAGMA integrity_check").fetchall()
        rows = db.execute("SELECT count(*) FROM resources").fetchone()[0]
    finally:
        db.close()
    assert check == [("ok",)], check
    return rows


def rewrites(entries, processes, rs):
    """PUTs of a resource whose same desired values an earlier PUT had already stored.
    processes: [(start time, generation)], in order; a PUT belongs to the last one started
    before it arrived."""
    gen_at = lambda t: [g for s, g in processes if s <= t][-1]  # noqa: E731
    done, bad = set(), []
    for e in sorted(entries, key=lambda e: e["seq"]):
        if e["method"] != "PUT":
            continue
        k = (e["api"], e["function"], e["qualifier"], gen_at(e["start"]))
        if k in done:
            bad.append(e)
        if e["status"] == 200:
            done.add(k)
    return bad


def test_crashes(fake, tmp_path):
    rs = resources(N)
    create_functions(fake, rs)
    fake.faults(**LATENCY)
    rng = random.Random(int(os.environ.get("ASYNCFG_RELIABILITY_SEED", time.time())))
    d = MultiDaemon(os.path.join(str(tmp_path), "d"), fake, resync="10m", concurrency=8,
                    watchdog=False)
    processes, kills, rows, during_sync = [], [], [], 0
    try:
        for k in range(KILLS + 1):
            gen = k // 2
            if k % 2 == 0:
                d.write_resources(rs, gen)
                gen_puts = put_count(fake)
            processes.append((time.time(), gen))
            d.start()
            if k == KILLS:
                break
            # A random moment of the sync: after a random share of what is left to store.
            # The kill lands a few PUTs after the target; when those were the generation's last,
            # the restart has nothing to store and is killed as soon as it is READY.
            left = N - (put_count(fake) - gen_puts)
            if left > 0:
                target = put_count(fake) + rng.randint(1, max(1, left - 1))
                wait_for(lambda: put_count(fake) >= target, 60, interval=0.005, what="PUTs")
            kills.append(time.time())
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait(timeout=10)
            rows.append(integrity(d.state))
        converge_s = wait_live(fake, rs, 300 if LONG else 60, gen=KILLS // 2)
        d.wait_converged(N, 60)
        rows.append(integrity(d.state))
        assert d.stop() == 0
        log = read_log(fake)
        bad = rewrites(log, processes, rs)
        assert bad == [], f"{len(bad)} PUTs of values already in the cloud, e.g. {bad[:3]}"
        puts = [e for e in log if e["method"] == "PUT"]
        for i, t in enumerate(kills):
            gen = processes[i][1]
            stored = {(e["api"], e["function"]) for e in puts
                      if e["status"] == 200 and e["start"] < t and e["start"] >= processes[2 * (i // 2)][0]}
            during_sync += len(stored) < N
        assert during_sync >= KILLS // 2, during_sync
    finally:
        d.close()

    write_figures("crashes", {
        "title": "Crashes",
        "command": "make reliability (tests/reliability/test_crashes.py)",
        "rows": [
            ["resources", f"{N} (AWS, FC3, FC2, FunctionGraph), desired values changed every "
                          f"second restart ({KILLS // 2 + 1} generations)"],
            ["kill -9", f"{KILLS}, each once a random share (uniform) of the PUTs still to make "
                        f"had reached the cloud; {during_sync} of them before the generation "
                        "was fully stored"],
            ["crashes survived", f"{KILLS} of {KILLS}"],
            ["state store after each kill", f"integrity_check ok {len(rows)} times "
                                            f"(read-only); rows {min(rows)}–{max(rows)}"],
            ["requests made", f"{len(log)} ({len(puts)} PUTs)"],
            ["PUTs of values the cloud already held", len(bad)],
            ["time to converge after the last restart", f"{converge_s:.1f} s"],
        ],
    })


def test_the_check_finds_rewrites():
    """The log check itself: a second PUT of one generation's values is found, a PUT of the next
    generation or a retry after a failed PUT is not."""
    def put(seq, t, status=200, fn="f"):
        return {"seq": seq, "start": t, "api": "lambda", "function": fn, "qualifier": "$LATEST",
                "method": "PUT", "status": status}
    processes = [(0, 0), (10, 0), (20, 1)]
    ok = [put(1, 1, 503), put(2, 2), put(3, 21), put(4, 22, fn="g")]
    assert rewrites(ok, processes, None) == []
    assert rewrites(ok + [put(5, 23)], processes, None) == [put(5, 23)]
    assert rewrites([put(1, 1), put(2, 11)], processes, None) == [put(2, 11)]
