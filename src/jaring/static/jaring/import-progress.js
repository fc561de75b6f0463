// Polls an import batch's status while it runs and updates the progress bar and counts.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box) { return; }
  var bar = document.getElementById("batch-progress");
  var text = document.getElementById("batch-progress-text");
  var statusLabel = document.getElementById("batch-status");

  function render(data) {
    var done = data.progress.done || 0;
    var total = data.progress.total;
    if (data.status === "done") {
      bar.value = 100;
    } else if (total) {
      bar.value = Math.min(99, Math.floor((100 * done) / total));
    }
    text.textContent = total ? done + " / " + total : "";
    Object.keys(data).forEach(function (key) {
      var cell = box.querySelector('[data-count="' + key + '"]');
      if (cell) { cell.textContent = data[key]; }
    });
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        render(data);
        if (data.status === "pending" || data.status === "running") {
          window.setTimeout(poll, 1000);
        } else if (box.dataset.status !== data.status) {
          statusLabel.textContent = data.status;
          window.location.reload();
        }
      });
  }

  if (box.dataset.status === "pending" || box.dataset.status === "running") { poll(); }
})();
