import numpy as np
import pytest

from segbench.bench.metrics import bench_metrics, counts_of, maps, naive_counts
from segbench.metrics import confusion_matrix


@pytest.mark.parametrize("num_classes", [2, 12, 16, 17, 150, 300])  # each width of pair code: uint8, uint16, int64
def test_naive_and_fast_counts_agree(num_classes):
    labels, predictions = maps(3, (37, 53), num_classes, seed=num_classes)
    fast = sum(confusion_matrix(label, prediction, num_classes) for label, prediction in zip(labels, predictions))
    naive = sum(naive_counts(label, prediction, num_classes) for label, prediction in zip(labels, predictions))
    assert fast.sum() == labels.size
    np.testing.assert_array_equal(counts_of(fast), naive)


def test_fast_counts_do_not_overflow_at_the_top_class():
    # The largest pair code of 16 classes is 255, the largest of uint8.
    labels = np.full((4, 5), 15, np.uint8)
    cm = confusion_matrix(labels, labels.astype(np.int64), 16)
    assert cm[15, 15] == 20 and cm.sum() == 20


def test_bench_metrics_reports_rates_and_their_ratio():
    result = bench_metrics(size=(24, 32), num_classes=12, images=2, repeats=2)
    rates = result["mpix_per_s"]
    for name in ("segbench", "naive"):
        assert 0 < rates[name]["min"] <= rates[name]["median"] <= rates[name]["max"]
    assert result["ratio"] == pytest.approx(rates["segbench"]["median"] / rates["naive"]["median"])
    assert result["size"] == [24, 32] and result["repeats"] == 2
