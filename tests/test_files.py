import sys
from pathlib import Path

import pytest

from geomap.files import KeptFiles, stamp, write_whole
from geomap.worker import worker


def test_a_file_is_replaced_whole_and_a_reader_keeps_the_old_one(tmp_path):
    path = tmp_path / "out" / "map.html"
    write_whole(path, "old map")
    with path.open(encoding="utf-8") as reader:  # a browser reading while a rebuild writes
        write_whole(path, "new map, longer than the old")
        assert reader.read() == "old map"
    assert path.read_text(encoding="utf-8") == "new map, longer than the old"
    write_whole(path, b"\x89PNG")
    assert path.read_bytes() == b"\x89PNG"
    assert [p.name for p in path.parent.iterdir()] == ["map.html"]  # nothing left beside it


def test_a_failed_write_leaves_the_old_file_and_no_scrap(tmp_path):
    path = tmp_path / "figures.csv"
    write_whole(path, "article,count\na,1\n")
    with pytest.raises(UnicodeEncodeError):
        write_whole(path, "article,count\n\udc80")  # fails halfway through writing
    assert path.read_text(encoding="utf-8") == "article,count\na,1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["figures.csv"]


def write_then_list(job: tuple[str, str]) -> list[str]:
    """Write the file ``job[0]`` (unless None) with ``job[1]``; list its folder."""
    path = Path(job[0])
    if job[1] is not None:
        write_whole(path, job[1])
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.skipif(sys.platform != "linux", reason="workers are forked")
def test_in_a_worker_the_replaced_file_is_deleted_after_the_answer(tmp_path):
    """Freeing a large file's blocks (the old map.html) is left until the job is answered."""
    path = tmp_path / "map.html"
    write_whole(path, "old map")
    kept = worker(write_then_list)
    listed = kept.submit((str(path), "new map"))()
    assert "map.html" in listed and any(name.endswith(".old") for name in listed)
    assert kept.submit((str(path), None))() == ["map.html"]  # gone before the next job
    assert path.read_text(encoding="utf-8") == "new map"


def test_a_linked_file_stays_linked_and_its_target_is_replaced(tmp_path):
    target = tmp_path / "www" / "map.html"
    write_whole(target, "old map")
    link = tmp_path / "out" / "map.html"
    link.parent.mkdir()
    link.symlink_to(target)
    assert write_whole(link, "new map") == link
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new map"


def test_kept_files_hold_a_value_while_the_file_keeps_its_stamp_and_the_last_few_only(tmp_path):
    first, second, third = (tmp_path / name for name in ("a", "b", "c"))
    for path in (first, second, third):
        write_whole(path, "x")
    kept = KeptFiles(most=2)
    kept.keep(first, "a's")
    assert kept.get(first, stamp(first)) == "a's"
    write_whole(first, "x")  # replaced: same size, another inode
    assert kept.get(first, stamp(first)) is None
    kept.keep(first, "a's again")
    kept.keep(second, "b's")
    kept.keep(third, "c's")  # a third file: the others go
    assert kept.get(third, stamp(third)) == "c's"
    assert kept.get(first, stamp(first)) is None and kept.get(second, stamp(second)) is None
