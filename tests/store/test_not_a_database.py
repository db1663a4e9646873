"""A store URL naming a file that is not an SQLite database is a one-line StoreError (exit 2), the file untouched."""

import pytest

from forecaster.cli.main import main
from forecaster.errors import StoreError
from forecaster.store import ScanStore

TEXT = b"time,series,value\n2024-01-01 00:00,a,1.0\n"


@pytest.mark.parametrize("create", [True, False])
def test_a_text_file_is_refused_and_left_as_it_was(tmp_path, create):
    path = tmp_path / "metrics.csv"
    path.write_bytes(TEXT)
    url = f"sqlite:///{path}"
    with pytest.raises(StoreError) as raised:
        ScanStore(url, create=create)
    assert str(raised.value) == (
        f"{url}: not an SQLite database; point --store (store.url) at a scan store or a new file"
    )
    assert path.read_bytes() == TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_the_events_command_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "junk.db"
    path.write_bytes(b"junk junk junk\n")
    url = f"sqlite:///{path}"
    assert main(["events", "--store", url]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        f"error: {url}: not an SQLite database; point --store (store.url) at a scan store or a new file"
    ]
    assert path.read_bytes() == b"junk junk junk\n"
