// Tổng đài 1022 – progressive enhancement only: the form works without this file.
(function () {
  "use strict";

  // Show only the extra questions of the chosen category (all are shown without JS).
  var category = document.getElementById("f-category");
  var sets = document.querySelectorAll(".question-set");
  function showQuestions() {
    var chosen = category ? category.value : "";
    for (var i = 0; i < sets.length; i++) {
      var active = sets[i].getAttribute("data-category") === chosen;
      sets[i].hidden = !active;
      var inputs = sets[i].querySelectorAll("input, select, textarea");
      for (var j = 0; j < inputs.length; j++) inputs[j].disabled = !active;
    }
  }
  if (category && sets.length) {
    var hints = document.querySelectorAll(".no-js-only");
    for (var k = 0; k < hints.length; k++) hints[k].hidden = true;
    category.addEventListener("change", showQuestions);
    showQuestions();
  }

  // "Dùng vị trí hiện tại của tôi": fills the hidden lat/lon inputs.
  var box = document.getElementById("geolocation");
  var button = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  var lat = document.getElementById("f-lat");
  var lon = document.getElementById("f-lon");
  if (box && button && lat && lon && "geolocation" in navigator) {
    box.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = "Đang lấy vị trí…";
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          lat.value = pos.coords.latitude.toFixed(6);
          lon.value = pos.coords.longitude.toFixed(6);
          status.textContent = "Đã ghi nhận vị trí của bạn (" + lat.value + ", " + lon.value +
            "), sai số khoảng " + Math.round(pos.coords.accuracy) + " m.";
          button.disabled = false;
        },
        function (err) {
          status.textContent = err.code === 1
            ? "Bạn chưa cho phép trình duyệt dùng vị trí. Vui lòng chọn phường/xã hoặc ghi địa chỉ."
            : "Không lấy được vị trí. Vui lòng chọn phường/xã hoặc ghi địa chỉ.";
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // After a failed submission, move the focus to the list of errors.
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
