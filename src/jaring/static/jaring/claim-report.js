// The report form shows the accident fields only for a work accident (JKK); the server refuses
// them for JKM anyway (ReportForm.clean).
(function () {
  "use strict";
  var program = document.getElementById("id_program");
  if (!program) { return; }
  var fields = document.querySelectorAll("[data-jkk-only]");
  function toggle() {
    var jkk = program.value === "JKK";
    fields.forEach(function (field) {
      var row = field.closest("div") || field;
      row.hidden = !jkk;
    });
  }
  program.addEventListener("change", toggle);
  toggle();
})();
