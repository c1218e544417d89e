import json

from segbench.bench.peer import ratios
from segbench.bench.report import loader_text, metrics_text, model_text, suite_markdown, suite_table, write_suite

COLUMNS = ["config", "model", "input", "batch", "precision", "params (M)", "GFLOPs/img", "train img/s",
           "infer img/s", "latency ms (p50 / p95)", "memory (GiB)", "train MFU"]


def cells(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()]


def document(results, failures=()):
    return {"suite": "camvid", "overrides": ["model.input_size=[96,128]"], "steps": 10, "repeats": 3, "peer": None,
            "results": results, "failures": list(failures), "finished": "2026-01-01T00:00:00+00:00"}


def test_suite_table_has_the_columns_and_the_measured_numbers(measured):
    gpu = {**measured(train=400.0, infer=1200.0, peak=989.0, memory=3 * 2**30), "config": "camvid/resnet50_unet"}
    cpu = {**measured("segnet", train=2.5, infer=7.0, device={"name": "AMD EPYC, 2 cores", "kind": "cpu",
                                                                "slug": "cpu"}), "config": "camvid/segnet"}
    header, _, first, second = cells(suite_table([gpu, cpu]))
    assert header == COLUMNS
    row = dict(zip(header, first))
    assert row["params (M)"] == "43.9" and row["GFLOPs/img"] == "91.4" and row["input"] == "352x480"
    assert row["train img/s"] == "400.0 (360.0-440.0)" and row["infer img/s"] == "1200.0 (1080.0-1320.0)"
    assert row["latency ms (p50 / p95)"] == "6.0 / 8.5" and row["memory (GiB)"] == "3.00"
    assert row["train MFU"] == f"{100 * 3 * 91.4e9 * 400 / 989e12:.1f}%" == "11.1%"
    row = dict(zip(header, second))
    assert row["memory (GiB)"] == "n/a" and row["train MFU"] == "n/a" and row["train img/s"] == "2.5 (2.2-2.8)"


def test_peer_ratio_columns_only_where_the_peer_measured_the_same(measured):
    peer = {"peer": "segmentation_models_pytorch", "rows": [
        {**measured(train=250.0, infer=1000.0), "peer_model": "smp.Unet(resnet50)"},
        {**measured("resnet50_pspnet", train=100.0, batch=4), "peer_model": "smp.PSPNet(resnet50)"}]}
    unet, psp = measured(train=400.0, infer=1200.0), measured("resnet50_pspnet", train=300.0)
    assert ratios(psp, peer) is None  # the peer's PSPNet ran at batch 4
    unet["vs_peer"] = ratios(unet, peer)
    assert unet["vs_peer"]["train"] == 400 / 250 and unet["vs_peer"]["infer"] == 1.2
    rows = [{**unet, "config": "camvid/resnet50_unet"}, {**psp, "config": "camvid/resnet50_pspnet", "vs_peer": None}]
    header, _, first, second = cells(suite_table(rows))
    assert header == COLUMNS + ["train vs peer", "infer vs peer"]
    assert first[-2:] == ["1.60x", "1.20x"] and second[-2:] == ["-", "-"]
    assert "vs peer" not in model_text(psp)
    assert "1.60x train, 1.20x infer (our images/s over those of segmentation_models_pytorch smp.Unet(resnet50), " \
           "43,945,100 parameters)" in model_text(unet)


def test_suite_files_are_json_and_markdown(measured, tmp_path):
    results = [{**measured(peak=989.0), "config": "camvid/resnet50_unet"}]
    json_path, md_path = write_suite(tmp_path / "bench" / "h200-jax", document(results, ["camvid/vgg_unet: OOM"]))
    assert (json_path.name, md_path.name) == ("h200-jax.json", "h200-jax.md")
    assert json.loads(json_path.read_text())["results"][0]["train"]["images_per_s"]["median"] == 20.0
    text = md_path.read_text()
    assert text.startswith("# segbench bench suite camvid: NVIDIA H200, jax backend (keras 3.15.1, jax 0.10.2")
    assert "| camvid/resnet50_unet |" in text and "- failed: camvid/vgg_unet: OOM" in text
    assert "- flops: FLOPs per image = 2 x the multiply-accumulates" in text
    assert not list(tmp_path.glob("bench/.*"))  # no temporary files left
    assert "- failed" not in suite_markdown(document(results))


def test_model_text_states_conventions_and_missing_figures(measured):
    text = model_text(measured())
    assert "n/a (the backend reports none here)" in text and "--peak-tflops" in text
    text = model_text(measured(peak=989.0, memory=2**30))
    assert "1.00 GiB" in text and "of 989 TFLOP/s (table)" in text and "2 x multiply-accumulates" in text


def test_loader_and_metrics_text():
    rows = [{"workers": 0, "kind": "main process", "images_per_s": {"min": 190, "median": 200, "max": 210},
             "images_per_s_per_worker": 200.0, "first_batch_s": {"min": 0.1, "median": 0.1, "max": 0.1},
             "data_wait": {"share": 0.125, "steps": 10, "step_s": {"min": 0.5, "median": 0.6, "max": 0.7}}}]
    result = {"dataset": "camvid", "split": "train", "images": 367, "root": "camvid", "input_size": [352, 480],
              "batch": 8, "augment": [{"name": "HorizontalFlip"}], "model": "segnet", "precision": "float32",
              "cpu": "AMD EPYC, 2 cores", "rows": rows}
    header, _, row = cells(loader_text(result).split("\n\n")[1])
    row = dict(zip(header, row))
    assert row["images/s"] == "200.0 (190.0-210.0)" and row["data wait"] == "12.5% of 10 steps"
    assert row["step (s)"] == "0.600 (0.500-0.700)"
    metrics = {"images": 20, "size": [360, 480], "num_classes": 12, "repeats": 3, "cpu": "AMD EPYC, 2 cores",
               "mpix_per_s": {"segbench": {"min": 600, "median": 700, "max": 800},
                              "naive": {"min": 60, "median": 70, "max": 80}}, "ratio": 10.0}
    header, _, row = cells(metrics_text(metrics).split("\n\n")[1])
    assert row == ["20 x 360x480, 12 classes", "700.0 (600.0-800.0)", "70.0 (60.0-80.0)", "10.0x"]
