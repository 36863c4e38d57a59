/// The keyboard page: one self-contained HTML document (inline style and script, nothing fetched from
/// elsewhere, no framework). It polls `/state` each second and sends the session's steps as JSON.
///
/// Element ids the browser tests rely on: `prefix` and `word` (inputs), `prediction`, `train` (button),
/// `model-id`, `round`, `refused` (the red banner, shown only when the device refused the runtime), `status`.
enum KeyboardPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>ConfidentialML device keyboard</title>
        <style>
          :root { color-scheme: light; --ink: #1c2430; --soft: #5b6675; --line: #d8dee6; --accent: #1f5fbf; }
          * { box-sizing: border-box; }
          body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f3f5f8; }
          main { max-width: 640px; margin: 32px auto; padding: 0 16px; }
          h1 { font-size: 20px; margin: 0 0 4px; }
          .sub { color: var(--soft); margin: 0 0 20px; font-size: 14px; }
          .card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 20px 22px; margin-bottom: 16px; }
          .facts { display: flex; gap: 32px; font-size: 14px; color: var(--soft); }
          .facts b { display: block; font: 600 18px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; color: var(--ink); }
          label { display: block; font-size: 14px; color: var(--soft); margin: 14px 0 6px; }
          label:first-child { margin-top: 0; }
          input { font: 22px ui-monospace, "DejaVu Sans Mono", monospace; padding: 8px 10px; width: 9ch; border: 1px solid #b8c2cf; border-radius: 6px; }
          input#word { width: 11ch; }
          input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
          #prediction { font: 600 30px ui-monospace, "DejaVu Sans Mono", monospace; letter-spacing: 0.06em; min-height: 42px; }
          .row { display: flex; gap: 10px; align-items: center; }
          button { font: 600 16px system-ui, sans-serif; padding: 10px 18px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
          button:disabled { background: #9aa8ba; cursor: default; }
          #status { font: 14px ui-monospace, "DejaVu Sans Mono", monospace; color: var(--soft); white-space: pre-wrap; word-break: break-word; }
          #status.error { color: #a11; }
          #refused { background: #c62828; color: #fff; border-radius: 10px; padding: 16px 20px; margin-bottom: 16px; }
          #refused h2 { margin: 0 0 6px; font-size: 20px; }
          #refused p { margin: 4px 0; }
          #refused-reason { font: 14px ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-word; }
        </style>
        </head>
        <body>
        <main>
          <div id="refused" role="alert" hidden>
            <h2>Runtime refused: it is not admitted in this domain</h2>
            <p>This device will not send it a word or take a model from it. The reason:</p>
            <p id="refused-reason"></p>
          </div>
          <h1>ConfidentialML device keyboard</h1>
          <p class="sub" id="about">connecting ...</p>
          <div class="card facts">
            <div>model<b id="model-id">&ndash;</b></div>
            <div>round<b id="round">&ndash;</b></div>
          </div>
          <div class="card">
            <label for="prefix">Type characters (three letters)</label>
            <input id="prefix" maxlength="3" autocomplete="off" spellcheck="false" autofocus>
            <label>Prediction</label>
            <div id="prediction"></div>
            <label for="word">Type correct answer (five letters)</label>
            <div class="row">
              <input id="word" maxlength="5" autocomplete="off" spellcheck="false">
              <button id="train" type="button" disabled>Train</button>
            </div>
          </div>
          <div class="card"><div id="status"></div></div>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        let shownModel = null, shownStatus = null, training = false, asked = 0;

        async function call(path, body) {
          const options = body === undefined ? {} : {
            method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
          const response = await fetch(path, options);
          let data = {};
          try { data = await response.json(); } catch (e) { data = { error: "the device answered " + response.status }; }
          return { ok: response.ok, data };
        }

        function say(text, error) {
          $("status").textContent = text;
          $("status").className = error ? "error" : "";
        }

        function show(state) {
          $("about").textContent = state.mode.toUpperCase() + " mode \u00b7 runtime " + state.runtime +
            (state.mode === "fl" ? " \u00b7 this device trains, the runtime aggregates rounds" : " \u00b7 the runtime trains");
          $("model-id").textContent = state.shortID || "\u2013";
          $("model-id").title = state.modelID || "";
          $("round").textContent = state.round === undefined ? "\u2013" : String(state.round);
          $("refused").hidden = !state.refused;
          $("refused-reason").textContent = state.refused || "";
          $("train").disabled = training || state.busy || !state.shortID;
          if (state.status !== shownStatus) {
            shownStatus = state.status;
            say(state.status, Boolean(state.refused || state.problem));
          }
          if (state.shortID && state.shortID !== shownModel) {
            shownModel = state.shortID;
            predict();
          }
        }

        async function poll() {
          try { show((await call("/state")).data); } catch (e) { say("the device's page server does not answer", true); }
          setTimeout(poll, 1000);
        }

        async function predict() {
          const prefix = $("prefix").value;
          const ask = ++asked;
          if (prefix.length !== 3) { $("prediction").textContent = ""; return; }
          const { ok, data } = await call("/predict", { prefix });
          if (ask !== asked) return;
          $("prediction").textContent = ok ? data.word : "";
          if (!ok) say(data.error, true);
        }

        async function train() {
          const word = $("word").value;
          training = true;
          $("train").disabled = true;
          say("training on \"" + word + "\" ...", false);
          try {
            const { ok, data } = await call("/train", { word });
            if (ok) { show(data); say(data.status, false); } else { say(data.error, true); }
          } finally {
            training = false;
            $("train").disabled = !shownModel;
          }
        }

        $("prefix").addEventListener("input", predict);
        $("train").addEventListener("click", train);
        $("word").addEventListener("keydown", (event) => { if (event.key === "Enter" && !$("train").disabled) train(); });
        poll();
        </script>
        </body>
        </html>
        """#
}
