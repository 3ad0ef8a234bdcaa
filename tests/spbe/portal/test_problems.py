"""An import's problems as Baris / Kolom / Masalah: the place the importer names, split off the text."""

from __future__ import annotations

from spbe.portal.problems import ProblemRow, problem_rows


def test_a_column_label_with_its_own_brackets_keeps_its_row_and_column():
    text = "kiriman.xlsx: sheet 'Penilaian Mandiri' row 3, column F (Level diklaim (1-5)): level 9 di luar 1–5"
    assert problem_rows([text]) == [ProblemRow("3", "F (Level diklaim (1-5))", "level 9 di luar 1–5")]


def test_csv_places_and_placeless_problems():
    assert problem_rows(["line 7, column 'level': kosong", "berkas bukan templat"]) == [
        ProblemRow("7", "(level)", "kosong"),
        ProblemRow(None, None, "berkas bukan templat"),
    ]
