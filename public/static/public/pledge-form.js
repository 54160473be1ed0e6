// Progressive enhancement of the pledge form; the form works the same without this file.
// - The quick-amount links fill the amount field in place instead of reloading the page.
// - The tax code is marked as required while "business" is chosen.
// - The submit button is disabled after the first click (the idempotency key makes a double
//   submission harmless anyway; this only spares the donor a second wait).
(function () {
  "use strict";
  var form = document.querySelector(".pledge-form");
  if (!form) return;

  var amount = form.querySelector("#id_amount");
  form.querySelectorAll(".preset").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!amount) return;
      event.preventDefault();
      amount.value = link.getAttribute("data-amount");
      form.querySelectorAll(".preset").forEach(function (other) { other.classList.remove("is-selected"); });
      link.classList.add("is-selected");
      amount.focus();
    });
  });

  // Typing another amount unselects the quick amount that no longer matches.
  if (amount) {
    amount.addEventListener("input", function () {
      form.querySelectorAll(".preset").forEach(function (link) {
        link.classList.toggle("is-selected", link.getAttribute("data-amount") === amount.value.trim());
      });
    });
  }

  var taxField = form.querySelector("#field-tax_code");
  function markTaxCode() {
    var chosen = form.querySelector("input[name=donor_kind]:checked");
    if (taxField) taxField.classList.toggle("is-required", !!chosen && chosen.value === "business");
  }
  form.querySelectorAll("input[name=donor_kind]").forEach(function (radio) {
    radio.addEventListener("change", markTaxCode);
  });
  markTaxCode();

  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      // After the POST has started: disabling it synchronously would drop the button from the form data.
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  // Coming back with the Back button restores the page as it was: make the button usable again.
  window.addEventListener("pageshow", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  });
})();
