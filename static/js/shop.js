// Progressive enhancement only: every page works without JavaScript.
// Disable a form's submit button once it is submitted, so a double click sends one request.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.allowResubmit !== undefined) return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  }, 0);
});
