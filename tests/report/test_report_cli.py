def test_report_writes_the_tables_it_is_asked_for_and_lists_them(cli, tmp_path, fake_run):
    run = fake_run(tmp_path / "camvid" / "segnet", "camvid", [0.3] * 12)
    out = tmp_path / "o" / "camvid"
    done = cli("report", "--suite", "camvid", "--results", tmp_path, "--formats", "md,csv", "--out", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split()
    assert str(out / "table.md") in listed and str(out / "table.csv") in listed
    assert not (out / "table.tex").exists()
    assert (out / "figure.png").exists() and (run / "curves.png").exists()


def test_bad_arguments_are_one_line_and_exit_2(cli, tmp_path):
    done = cli("report", "--suite", "camvid", "--results", tmp_path / "nope")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"segbench: error: {tmp_path / 'nope'}: no such folder"]
    done = cli("report", "--suite", "camvid", "--formats", "md,pdf")
    assert done.returncode == 2 and "expected a comma-separated list of md, csv, tex, got 'md,pdf'" in done.stderr


def test_an_out_inside_a_run_folder_is_refused(tmp_path, fake_run, capsys):
    """`report --out RUN/eval/myreport` wrote there, and the report (with the user's notes beside it) went when the
    run was started over (probe 16c case 7)."""
    from segbench.cli import main

    run = tmp_path / "results" / "camvid" / "segnet"
    fake_run(run, "camvid", [0.3] * 12)
    out = run / "eval" / "myreport"
    assert main(["report", "--suite", "camvid", "--results", str(tmp_path / "results"), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (f"segbench: error: {out}: lies inside the run folder {run}, whose "
                                                "files report would write over; give --out a folder of its own")
    assert not out.exists()
    # Where it writes, not only what it is given: `--out X` wrote its tables into the run folder X/camvid (probe 17b
    # case 4), and so did a report beside runs run into results/camvid itself.
    theirs = tmp_path / "x" / "camvid"
    fake_run(theirs, "camvid", [0.3] * 12)
    before = sorted(path.name for path in theirs.iterdir())
    for given in (["--results", str(tmp_path / "results"), "--out", str(tmp_path / "x")],
                  ["--results", str(tmp_path / "x")]):
        assert main(["report", "--suite", "camvid", *given]) == 2
        assert capsys.readouterr().err.strip() == (f"segbench: error: {theirs}: is the run folder {theirs}, whose "
                                                    "files report would write over; give --out a folder of its own")
        assert sorted(path.name for path in theirs.iterdir()) == before


def test_two_reports_into_one_folder_at_once_are_refused_one_line(tmp_path, fake_run, capsys):
    """The second cleared the first's temporaries as stale while it drew, and the first failed naming one of them
    (".worst.segbench-tmp.uf1h_1ed.pdf: No such file or directory"; probe 17b case 14)."""
    from segbench.cli import main
    from segbench.lock import locked

    fake_run(tmp_path / "results" / "camvid" / "segnet", "camvid", [0.3] * 12)
    out = tmp_path / "rep"
    with locked(out / "camvid", "report folder"):  # another report drawing there
        assert main(["report", "--suite", "camvid", "--results", str(tmp_path / "results"), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().startswith(
        f"segbench: error: {out / 'camvid'}: this report folder is in use by another segbench process")
    assert list((out / "camvid").iterdir()) == []
