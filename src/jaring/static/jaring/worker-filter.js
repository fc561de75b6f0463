// The village list belongs to the chosen kecamatan: choosing a kecamatan asks the server for the
// filter again, which renders that kecamatan's villages (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var district = document.getElementById("id_district");
  if (!district || !district.form) { return; }
  district.addEventListener("change", function () {
    var village = document.getElementById("id_village");
    if (village) { village.value = ""; }
    district.form.submit();
  });
})();
