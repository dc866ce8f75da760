// Ticket sidebar: ask ZAF for the ticket id, load the case, wire the buttons.
(function () {
  "use strict";
  var session = document.querySelector('meta[name="recovery-session"]').content;
  var main = document.getElementById("case");

  function ticketId() {
    if (window.ZAFClient) {
      var client = window.ZAFClient.init();
      if (client) {
        return client.get("ticket.id").then(function (data) { return data["ticket.id"]; });
      }
    }
    return Promise.resolve(new URLSearchParams(location.search).get("ticket_id"));
  }

  function load(id) {
    return fetch("/zendesk/sidebar/case?ticket_id=" + encodeURIComponent(id), {
      headers: {"X-Recovery-Session": session}, credentials: "omit"
    }).then(function (r) { return r.text(); }).then(function (html) {
      main.innerHTML = html;  // server-rendered with Jinja autoescape
      wire(id);
    });
  }

  function complete(section, key, body, id) {
    return fetch("/zendesk/sidebar/cases/" + section.dataset.caseId + "/stages/" + key + "/complete", {
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
      button.addEventListener("click", function () {
        button.disabled = true;
        complete(section, button.dataset.stage, null, id).catch(function () { button.disabled = false; });
      });
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
            || "Could not record the compensation.";
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
            || (error && error.message) || "Could not record the reason.";
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
          return "promise " + (Number(i) + 1) + ": " + Object.keys(fields[i]).map(function (k) {
            return k + " " + fields[i][k].join(" "); }).join(", ");
        }).join("; ");
        document.getElementById("action-error").textContent = text || "Could not record the promises.";
      });
    });
  }

  ticketId().then(function (id) {
    if (!id) { main.textContent = "Open this app on a ticket."; return; }
    return load(id);
  });
})();
