// The stage board (LEAD-STS): drag a card to another column; the move goes through the
// same endpoint as the API (POST /api/v1/leads/{id}/stage), so the same rules apply.
// Columns that need more than a fact (成交, 无效, 流失) open the lead's stage form instead.
(function () {
  const board = document.querySelector("[data-stage-board]");
  if (!board) return;
  const csrf = board.dataset.csrf;
  let dragged = null;
  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("[data-lead]");
    if (dragged) event.dataTransfer.setData("text/plain", dragged.dataset.lead);
  });
  board.addEventListener("dragover", (event) => {
    if (event.target.closest("[data-stage]")) event.preventDefault();
  });
  board.addEventListener("drop", async (event) => {
    const column = event.target.closest("[data-stage]");
    if (!column || !dragged) return;
    event.preventDefault();
    const stage = column.dataset.stage;
    if (column.dataset.needsForm === "1") {
      window.location = `/leads/${dragged.dataset.lead}/#stage`;
      return;
    }
    const fact = window.prompt(board.dataset.askFact);
    if (!fact) return;
    const response = await fetch(`/api/v1/leads/${dragged.dataset.lead}/stage`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ stage: stage, fact: fact }),
    });
    if (response.ok) {
      column.querySelector("[data-cards]").prepend(dragged);
    } else {
      const body = await response.json();
      const fields = Object.entries(body.error.fields || {}).map(([k, v]) => `${k}: ${v}`);
      window.alert([body.error.message, ...fields].join("\n"));
    }
  });
})();
