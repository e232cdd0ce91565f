"""A person brings their own data: the project page lists the datasets, refuses a
broken upload with the reason, takes a CSV (target picked from its header), and
a model bound to its shape trains on it."""
from __future__ import annotations

import csv
import re

import pytest

from tests.e2e.editor import log_in, wait_validated

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def iris_csv(tmp_path):
    """scikit-learn's iris (real data, shipped with it) as a CSV with a text label column last."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    path = tmp_path / "iris.csv"
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        for row, label in zip(iris.data, iris.target):
            out.writerow([*row, iris.target_names[label]])
    return path


def test_upload_a_csv_bind_a_model_to_it_and_train(ada, iris_csv, tmp_path, page, shoot):
    log_in(page)
    page.get_by_label("New project name").fill("tabular")
    page.get_by_role("button", name="Create project").click()
    datasets = page.get_by_test_id("datasets")
    datasets.get_by_test_id("dataset-digits").get_by_text("1×8×8 → 10 classes").wait_for()
    assert "files missing" in datasets.get_by_test_id("dataset-mnist").inner_text()

    # A file that is not what it claims: refused, with the reason, and nothing kept.
    fake = tmp_path / "arrays.npz"
    fake.write_text("x,y\n1,2\n")
    datasets.get_by_role("button", name="Upload dataset").click()
    dialog = page.get_by_test_id("upload-dialog")
    dialog.get_by_test_id("dataset-file").set_input_files(str(fake))
    assert dialog.get_by_label("Kind").input_value() == "npz"
    dialog.get_by_test_id("upload-confirm").click()
    problem = dialog.get_by_role("alert")
    problem.wait_for()
    assert "not an .npz file" in problem.inner_text()
    shoot("refused-upload")

    # The real CSV: the target is chosen from its header; the split sizes come back.
    dialog.get_by_test_id("dataset-file").set_input_files(str(iris_csv))
    assert dialog.get_by_label("Kind").input_value() == "csv"
    target = dialog.get_by_label("Target column")
    assert target.locator("option").all_inner_texts() == [
        "sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    assert target.input_value() == "species"
    assert dialog.get_by_label("Dataset name").input_value() == "iris"
    dialog.get_by_test_id("upload-confirm").click()
    row = datasets.get_by_test_id("dataset-iris")
    row.get_by_text("4 → 3 classes").wait_for()
    assert "150" not in row.inner_text() and "train" in row.inner_text()  # split, not one lump
    assert datasets.get_by_test_id("dataset-arrays").count() == 0
    shoot("uploaded")

    # An MLP for three classes, its input bound to the CSV's four features at launch.
    page.get_by_role("button", name="New graph").first.click()
    page.get_by_label("Graph name").fill("iris-mlp")
    page.get_by_role("button", name=re.compile(r"^MLP\b")).click()
    page.wait_for_url(re.compile(r"/graphs/\d+$"))
    wait_validated(page, "Valid")
    page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})
    classes = page.get_by_label("variable classes")
    classes.fill("3")
    classes.press("Enter")
    page.get_by_test_id("launch").click()
    launch = page.get_by_test_id("launch-dialog")
    launch.locator("select[name=dataset]").select_option(label="iris (csv, 4, 3 classes)")
    launch.get_by_text("Bind the input to this dataset's shape (4)").wait_for()
    launch.get_by_label("Epochs").fill("5")
    launch.get_by_label("Batch size").fill("16")
    shoot("launch-on-upload")
    page.get_by_test_id("launch-confirm").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=30_000)
    page.get_by_test_id("run-state").filter(has_text="succeeded").wait_for(timeout=180_000)
    shoot("trained-on-upload")
