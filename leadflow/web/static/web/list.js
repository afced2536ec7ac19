// Lists with bulk actions and a column chooser (#25): tick every row at once, count the
// ticked, and send the chosen columns as one `cols` value so a saved view keeps them.
(function () {
  const bulk = document.querySelector("[data-bulk]");
  if (bulk) {
    const boxes = () => bulk.querySelectorAll('input[name="ids"]');
    const shown = bulk.querySelector("[data-ticked]");
    const count = () => {
      shown.textContent = [...boxes()].filter((box) => box.checked).length;
    };
    bulk.querySelector("[data-tick-all]").addEventListener("change", (event) => {
      boxes().forEach((box) => { box.checked = event.target.checked; });
      count();
    });
    bulk.addEventListener("change", count);
  }
  const chooser = document.querySelector(".column-chooser");
  if (chooser) {
    chooser.addEventListener("submit", () => {
      const chosen = [...chooser.querySelectorAll("[data-column]")]
        .filter((box) => box.checked)
        .map((box) => box.value);
      chooser.querySelector("[data-columns]").value = chosen.join(",");
      chooser.querySelectorAll("[data-column]").forEach((box) => { box.disabled = true; });
    });
  }
})();
