// Moves the bar of a job's progress page (templates/admin/job_progress.html): asks the page's JSON
// endpoint once a second until the job has finished or failed. No inline script: the CSP forbids it.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("job-progress");
    if (!box) { return; }
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("job-progress-bar");
    function show(job) {
      bar.value = job.percent;
      bar.textContent = job.percent + " %";
      document.getElementById("job-progress-percent").textContent = job.percent + " %";
      document.getElementById("job-progress-label").textContent = job.label;
      document.getElementById("job-progress-count").textContent =
        job.total === null ? String(job.done) : job.done + " / " + job.total;
      var message = document.getElementById("job-progress-message");
      message.textContent = job.message;
      message.className = job.failed ? "errornote" : "";
      if (job.finished) {
        document.getElementById("job-progress-next-link").href = job.next_url;
        document.getElementById("job-progress-next").hidden = false;
      }
      box.setAttribute("data-status", job.status);
    }
    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json(); })
        .then(function (job) {
          show(job);
          if (!job.finished && !job.failed) { window.setTimeout(poll, 1000); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
