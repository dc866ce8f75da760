// Ticket sidebar: ask ZAF for the ticket id, load the case, wire the buttons.
(function () {
  "use strict";
  var session = document.querySelector('meta[name="recovery-session"]').content;
  var main = document.getElementById("case");

  // The ticket, and the agent's language and time zone as Zendesk knows them (currentUser);
  // without ZAF (a direct load), the browser's own.
  function context() {
    var browser = {locale: navigator.language, tz: Intl.DateTimeFormat().resolvedOptions().timeZone};
    if (window.ZAFClient) {
      var client = window.ZAFClient.init();
      if (client) {
        return client.get(["ticket.id", "currentUser"]).then(function (data) {
          var user = data.currentUser || {};
          return {id: data["ticket.id"], locale: user.locale || browser.locale,
                  tz: (user.timeZone && user.timeZone.ianaName) || browser.tz};
        });
      }
    }
    browser.id = new URLSearchParams(location.search).get("ticket_id");
    return Promise.resolve(browser);
  }

  var agent = {};
  var pending = {};  // stage key -> timer of a "Mark done" not sent yet (undo window)

  function load(id) {
    var query = "ticket_id=" + encodeURIComponent(id) + "&locale=" + encodeURIComponent(agent.locale || "") +
      "&tz=" + encodeURIComponent(agent.tz || "");
    return fetch("/zendesk/sidebar/case?" + query, {
      headers: {"X-Recovery-Session": session}, credentials: "omit"
    }).then(function (r) { return r.text(); }).then(function (html) {
      main.innerHTML = html;  // server-rendered with Jinja autoescape
      wire(id);
    });
  }

  function complete(section, key, body, id) {
    // The agent's locale: a refusal (a chronic plan without a promise) comes back in their language.
    var locale = agent && agent.locale ? "?locale=" + encodeURIComponent(agent.locale) : "";
    return fetch("/zendesk/sidebar/cases/" + section.dataset.caseId + "/stages/" + key + "/complete" + locale, {
      method: "POST", credentials: "omit",
      headers: {"Content-Type": "application/json", "X-Recovery-Case": section.dataset.caseToken},
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw data; }
        return load(id);
      });
    });
  }

  function recordReason(section, body, id, what) {
    return fetch("/zendesk/sidebar/cases/" + section.dataset.caseId + "/" + (what || "failure-reason"), {
      method: "POST", credentials: "omit",
      headers: {"Content-Type": "application/json", "X-Recovery-Case": section.dataset.caseToken},
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw data; }
        return load(id);
      });
    });
  }

  function wire(id) {
    var section = main.querySelector("section.case");
    if (!section) { return; }
    section.querySelectorAll("button.complete").forEach(function (button) {
      if (pending[button.dataset.stage]) { showPending(section, button); }
      button.addEventListener("click", function () { markLater(section, button, id); });
    });
    wirePromises(section, id);
    var form = document.getElementById("compensation-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var data = new FormData(form), record = {};
        data.forEach(function (value, name) { if (value !== "") { record[name] = value; } });
        // "none" is a recorded outcome with its reason; a gesture has an amount instead.
        var fieldsOf = record.type === "none" ? ["amount", "currency", "priority_support_days"] : ["reason"];
        fieldsOf.forEach(function (name) { delete record[name]; });
        if (record.priority_support_days !== undefined && /^[0-9]+$/.test(record.priority_support_days)) {
          record.priority_support_days = parseInt(record.priority_support_days, 10);
        }
        complete(section, "compensation", {compensation: record}, id).catch(function (error) {
          var fields = (error && error.fields && error.fields.compensation) || {};
          document.getElementById("form-error").textContent =
            Object.keys(fields).map(function (k) { return k + ": " + fields[k].join(" "); }).join("; ")
            || section.dataset.wordErrorCompensation;
        });
      });
    }
    var failure = document.getElementById("failure-form");
    if (failure) {
      failure.addEventListener("submit", function (event) {
        event.preventDefault();
        var data = new FormData(failure), record = {};
        data.forEach(function (value, name) { if (value !== "") { record[name] = value; } });
        recordReason(section, record, id).catch(function (error) {
          var fields = (error && error.fields) || {};
          document.getElementById("failure-error").textContent =
            Object.keys(fields).map(function (k) { return k + ": " + [].concat(fields[k]).join(" "); }).join("; ")
            || (error && error.message) || section.dataset.wordErrorReason;
        });
      });
    }
    var cause = document.getElementById("cause-form");
    if (cause) {
      cause.addEventListener("submit", function (event) {
        event.preventDefault();
        recordReason(section, {cause: new FormData(cause).get("cause")}, id, "cause").catch(function (error) {
          var fields = (error && error.fields) || {};
          document.getElementById("cause-error").textContent =
            Object.keys(fields).map(function (k) { return k + ": " + [].concat(fields[k]).join(" "); }).join("; ")
            || (error && error.message) || "Could not record the cause.";
        });
      });
    }
  }

  // "Mark done" is sent after the undo window: until then the row says so with an Undo button,
  // and nothing has reached the connector. Leaving the page sends what is still waiting.
  function markLater(section, button, id) {
    var key = button.dataset.stage, seconds = Number(section.dataset.undoSeconds) || 5;
    pending[key] = {section: section, timer: setTimeout(function () {
      delete pending[key];
      complete(section, key, null, id).catch(function () { load(id); });
    }, seconds * 1000)};
    showPending(section, button);
  }

  function showPending(section, button) {
    var key = button.dataset.stage;
    button.hidden = true;
    var note = document.createElement("span");
    note.className = "pending-done";
    note.textContent = section.dataset.wordMarked + " ";
    var undo = document.createElement("button");
    undo.type = "button";
    undo.className = "undo";
    undo.textContent = section.dataset.wordUndo;
    undo.addEventListener("click", function () {
      if (pending[key]) { clearTimeout(pending[key].timer); delete pending[key]; }
      note.remove();
      button.hidden = false;
    });
    note.appendChild(undo);
    button.after(note);
  }

  window.addEventListener("pagehide", function () {
    Object.keys(pending).forEach(function (key) {
      var section = pending[key].section;
      clearTimeout(pending[key].timer);
      delete pending[key];
      fetch("/zendesk/sidebar/cases/" + section.dataset.caseId + "/stages/" + key + "/complete", {
        method: "POST", credentials: "omit", keepalive: true,
        headers: {"Content-Type": "application/json", "X-Recovery-Case": section.dataset.caseToken}, body: "{}"
      });
    });
  });

  function keep(section, promiseId, id) {
    return fetch("/zendesk/sidebar/cases/" + section.dataset.caseId + "/promises/" + promiseId + "/complete", {
      method: "POST", credentials: "omit",
      headers: {"Content-Type": "application/json", "X-Recovery-Case": section.dataset.caseToken}, body: "{}"
    }).then(function (r) { if (!r.ok) { throw r; } return load(id); });
  }

  function wirePromises(section, id) {
    section.querySelectorAll("button.keep").forEach(function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        keep(section, button.dataset.promise, id).catch(function () { button.disabled = false; });
      });
    });
    var form = document.getElementById("action-form");
    if (!form) { return; }
    document.getElementById("add-promise").addEventListener("click", function () {
      var rows = form.querySelectorAll("fieldset.promise-row");
      if (rows.length >= Number(form.dataset.max)) { return; }
      var copy = rows[0].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      rows[rows.length - 1].after(copy);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var promises = [];
      form.querySelectorAll("fieldset.promise-row").forEach(function (row) {
        promises.push({what: row.querySelector('[name="what"]').value, who: row.querySelector('[name="who"]').value,
                       by: row.querySelector('[name="by"]').value});
      });
      complete(section, "action", {promises: promises}, id).catch(function (error) {
        var fields = (error && error.fields && error.fields.promises) || {};
        var text = Array.isArray(fields) ? fields.join(" ") : Object.keys(fields).map(function (i) {
          return section.dataset.wordPromise + " " + (Number(i) + 1) + ": " + Object.keys(fields[i]).map(function (k) {
            return k + " " + fields[i][k].join(" "); }).join(", ");
        }).join("; ");
        document.getElementById("action-error").textContent = text || section.dataset.wordErrorPromises;
      });
    });
  }

  context().then(function (found) {
    agent = found;
    if (!found.id) {
      main.textContent = /^fr/i.test(found.locale || "") ? "Ouvrez cette application sur un ticket." : "Open this app on a ticket.";
      return;
    }
    return load(found.id);
  });
})();
