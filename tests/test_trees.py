"""Deleting a run's folders whatever is in them: Go's module cache is read-only."""

import os
import stat

from conformance.trees import remove_tree


def test_read_only_files_and_folders_are_removed(tmp_path):
    folder = tmp_path / "gomod" / "pkg@v1.0.0"
    folder.mkdir(parents=True)
    (folder / "go.mod").write_text("module x\n")
    for path in (folder / "go.mod", folder, folder.parent):
        os.chmod(path, stat.S_IRUSR | stat.S_IXUSR if path.is_dir() else stat.S_IRUSR)
    remove_tree(tmp_path / "gomod")
    assert not (tmp_path / "gomod").exists()
