// A list filter shown as a drop-down list (templates/admin/filter_select.html): choosing an option
// goes to its address, the query string Django's link for that choice would have. Every such filter
// includes this file; the flag keeps one listener for the page.
(function () {
  "use strict";
  if (window.fundmgrFilterSelect) {
    return;
  }
  window.fundmgrFilterSelect = true;
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.classList.contains("admin-filter-select")) {
      window.location.href = select.value;
    }
  });
})();
