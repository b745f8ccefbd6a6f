# SPDX-License-Identifier: MIT
"""asyncfgd and the desired-state directory: files added, edited, renamed, deleted under each
deletionPolicy; the ConfigMap "..data" symlink swap; a broken file keeps its last good version;
an empty directory removes nothing."""

import json
import os
import time

from daemonlib import doc, fake, make_daemon, read_state, wait_for  # noqa: F401


def retries(fake, name):
    return fake.configs().get(name, {}).get("MaximumRetryAttempts")


def test_added_edited_renamed(fake, make_daemon):
    fake.create("a", "b")
    d = make_daemon(resync="1m")
    d.write("a.yaml", doc("a", retries=1))
    d.start()
    d.wait_state("a", "in_sync")
    # Added.
    d.write("sub/dir/b.yml", doc("b", retries=2, age=120))
    wait_for(lambda: retries(fake, "b") == 2, 5, what="b created")
    assert fake.configs()["b"]["MaximumEventAgeInSeconds"] == 120
    d.wait_state("b", "in_sync")
    # Edited.
    d.write("a.yaml", doc("a", retries=0))
    wait_for(lambda: retries(fake, "a") == 0, 5, what="a updated")
    puts = fake.count("PUT")
    # Renamed: the same resource, now declared by another file: no write, no delete.
    os.rename(os.path.join(d.desired, "a.yaml"), os.path.join(d.desired, "renamed.yaml"))
    wait_for(lambda: (d.resource("a") or {}).get("file", "").endswith("/renamed.yaml"), 5,
             what="a declared by renamed.yaml")
    time.sleep(0.5)
    assert fake.count("PUT") == puts and fake.count("DELETE") == 0
    assert retries(fake, "a") == 0 and d.state_of("a") == "in_sync"
    # An editor's scratch files are no documents.
    with open(os.path.join(d.desired, ".a.yaml.swp"), "w") as f:
        f.write("garbage: [")
    with open(os.path.join(d.desired, "a.yaml~"), "w") as f:
        f.write("garbage: [")
    time.sleep(0.5)
    assert d.status()["summary"]["files"] == {"ok": 2, "error": 0}
    assert d.stop() == 0


def test_deleted_orphan_leaves_the_live_config(fake, make_daemon):
    fake.create("keep", "other")
    d = make_daemon()
    d.write("keep.yaml", doc("keep", retries=2))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("keep", "in_sync")
    assert any("/keep/" in k for k in read_state(d.state)["resources"])
    os.unlink(os.path.join(d.desired, "keep.yaml"))
    # Listed as orphaned (test_daemon_orphans.py: how long, and how it leaves).
    d.wait_state("keep", "orphaned", 5)
    assert retries(fake, "keep") == 2  # still there
    assert fake.count("DELETE") == 0
    assert "orphan" in d.logtext()
    assert d.metric('asyncfg_resource_drifted{name="keep"}') is None
    assert d.stop() == 0


def test_deleted_delete_policy_deletes_the_live_config(fake, make_daemon):
    fake.create("gone", "other")
    d = make_daemon()
    d.write("gone.yaml", doc("gone", deletion="delete"))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("gone", "in_sync")
    assert "gone" in fake.configs()
    os.unlink(os.path.join(d.desired, "gone.yaml"))
    wait_for(lambda: "gone" not in fake.configs(), 5, what="DELETE")
    assert fake.count("DELETE") == 1
    wait_for(lambda: d.resource("gone") is None, 5, what="gone forgotten")
    assert "other" in fake.configs()
    assert d.stop() == 0


def test_document_removed_from_a_good_file(fake, make_daemon):
    fake.create("x", "y")
    d = make_daemon()
    d.write("xy.yaml", doc("x", deletion="delete") + "---\n" + doc("y", deletion="delete"))
    d.start()
    d.wait_state("y", "in_sync")
    d.write("xy.yaml", doc("x", deletion="delete"))
    wait_for(lambda: "y" not in fake.configs(), 5, what="y deleted")
    assert "x" in fake.configs() and d.state_of("x") == "in_sync"
    assert d.stop() == 0


def test_configmap_symlink_swap(fake, make_daemon):
    fake.create("cm1", "cm2")
    d = make_daemon()
    root = d.desired

    def release(tag, r1):
        rd = os.path.join(root, f"..2024_{tag}")
        os.mkdir(rd)
        with open(os.path.join(rd, "app.yaml"), "w") as f:
            f.write(doc("cm1", retries=r1) + "---\n" + doc("cm2", retries=r1))
        return os.path.basename(rd)

    os.symlink(release("a", 1), os.path.join(root, "..data"))
    os.symlink("..data/app.yaml", os.path.join(root, "app.yaml"))
    d.start()
    d.wait_state("cm2", "in_sync")
    assert retries(fake, "cm1") == 1
    # kubelet's swap: a new directory, a new symlink renamed over ..data, the old one removed.
    new = release("b", 2)
    os.symlink(new, os.path.join(root, "..data_tmp"))
    os.rename(os.path.join(root, "..data_tmp"), os.path.join(root, "..data"))
    for f in os.listdir(os.path.join(root, "..2024_a")):
        os.unlink(os.path.join(root, "..2024_a", f))
    os.rmdir(os.path.join(root, "..2024_a"))
    wait_for(lambda: retries(fake, "cm1") == 2 and retries(fake, "cm2") == 2, 5, what="swap applied")
    assert fake.count("DELETE") == 0
    st = d.status()
    assert [f["path"] for f in st["files"]] == [os.path.join(root, "app.yaml")]
    assert d.stop() == 0


def test_broken_file_keeps_its_last_good_version(fake, make_daemon):
    fake.create("b1", "b2")
    d = make_daemon()
    d.write("b.yaml", doc("b1", retries=2, deletion="delete") + "---\n" + doc("b2", deletion="delete"))
    d.start()
    d.wait_state("b2", "in_sync")
    # Broken: the second document has a bad value; b2 is not "removed", b1 not changed.
    d.write("b.yaml", doc("b1", retries=0, deletion="delete") + "---\n" +
            doc("b2", retries=99, deletion="delete"))
    wait_for(lambda: d.status()["summary"]["files"]["error"] == 1, 5, what="file in error")
    st = d.status()
    f = st["files"][0]
    assert f["state"] == "error" and f["has_good_version"]
    assert any(":" in x and "error" in x and "maxRetryAttempts" in x for x in f["diagnostics"]), f
    assert {r["name"] for r in st["resources"]} == {"b1", "b2"}
    time.sleep(0.5)
    assert retries(fake, "b1") == 2 and "b2" in fake.configs()
    assert fake.count("DELETE") == 0
    assert d.metric('asyncfg_desired_files{state="error"}') == 1
    assert "maxRetryAttempts" in d.logtext()
    # Unparsable YAML: the same.
    d.write("b.yaml", "apiVersion: [\n")
    time.sleep(0.5)
    assert {r["name"] for r in d.status()["resources"]} == {"b1", "b2"}
    assert fake.count("DELETE") == 0
    # Fixed: the new version applies.
    d.write("b.yaml", doc("b1", retries=0, deletion="delete") + "---\n" + doc("b2", deletion="delete"))
    wait_for(lambda: retries(fake, "b1") == 0, 5, what="fixed file applied")
    assert d.status()["summary"]["files"] == {"ok": 1, "error": 0}
    assert d.stop() == 0


def test_empty_or_missing_directory_removes_nothing(fake, make_daemon):
    fake.create("e1", "e2")
    d = make_daemon()
    d.write("e1.yaml", doc("e1", deletion="delete"))
    d.write("e2.yaml", doc("e2", deletion="delete"))
    d.start()
    d.wait_state("e2", "in_sync")
    for f in ("e1.yaml", "e2.yaml"):
        os.unlink(os.path.join(d.desired, f))
    wait_for(lambda: d.status()["summary"]["directory_error"], 5, what="directory error")
    time.sleep(0.5)
    assert fake.count("DELETE") == 0
    assert {r["name"] for r in d.status()["resources"]} == {"e1", "e2"}
    assert "nothing is removed" in d.logtext()
    # The directory itself gone: the same.
    os.rmdir(d.desired)
    time.sleep(0.5)
    assert fake.count("DELETE") == 0 and len(d.status()["resources"]) == 2
    # Every file broken: the same.
    os.mkdir(d.desired)
    d.write("e1.yaml", "spec: [\n")
    time.sleep(0.5)
    assert fake.count("DELETE") == 0 and len(d.status()["resources"]) == 2
    assert d.stop() == 0


def test_start_with_an_empty_directory_and_a_foreign_state_file(fake, make_daemon):
    d = make_daemon()
    with open(os.path.join(d.state, "state.json"), "w") as f:
        json.dump({"not": "ours"}, f)
    d.start()
    assert d.status()["summary"]["directory_error"]
    assert d.status()["summary"]["ready"] is True
    assert any(n.startswith("state.json.broken-") for n in os.listdir(d.state))
    assert "moved to" in d.logtext()
    assert d.stop() == 0


def test_rename_across_two_batches_deletes_nothing(fake, make_daemon):
    # The old name is gone in one debounce batch, the new one appears in the next: with
    # deletionPolicy delete that must not be DELETE-then-PUT (the DELETE waits for a grace
    # period of one debounce + 1 s and is dropped when the identity comes back).
    fake.create("mv", "other")
    d = make_daemon(resync="1m")
    d.write("old.yaml", doc("mv", deletion="delete"))
    d.write("other.yaml", doc("other"))
    d.start()
    d.wait_state("mv", "in_sync")
    puts = fake.count("PUT")
    os.unlink(os.path.join(d.desired, "old.yaml"))
    time.sleep(0.4)  # the daemon's debounce is 50 ms here: the removal is its own batch
    d.write("new.yaml", doc("mv", deletion="delete"))
    wait_for(lambda: (d.resource("mv") or {}).get("file", "").endswith("/new.yaml"), 5,
             what="mv declared by new.yaml")
    time.sleep(1.5)  # past the grace period
    assert fake.count("DELETE") == 0
    assert fake.count("PUT") == puts
    assert "mv" in fake.configs()
    d.wait_state("mv", "in_sync", 5)
    # A removal that stays a removal is carried out after the grace.
    os.unlink(os.path.join(d.desired, "new.yaml"))
    wait_for(lambda: "mv" not in fake.configs(), 5, what="DELETE after the grace")
    assert fake.count("DELETE") == 1
    assert d.stop() == 0


def test_desired_dir_with_trailing_slash(fake, make_daemon):
    # desiredDir "dir/" names each file as the scan does: an edit seen through inotify is the
    # same file, not a second "dir//a.yaml" whose resource collides with the first one's.
    fake.create("a")
    d = make_daemon(resync="1m")
    d.write_config(d.config_text().replace(f"desiredDir: {d.desired}\n",
                                           f"desiredDir: {d.desired}/\n"))
    d.write("a.yaml", doc("a", retries=1))
    d.start()
    d.wait_state("a", "in_sync")
    d.write("a.yaml", doc("a", retries=2))
    wait_for(lambda: retries(fake, "a") == 2, 5, what="a updated")
    assert d.status()["summary"]["files"] == {"ok": 1, "error": 0}
    assert d.resource("a")["file"] == os.path.join(d.desired, "a.yaml")
    assert d.stop() == 0
