// The password page: a rough strength meter (a hint only: the server decides), a live
// "not the same yet" note, a show/hide switch, and focus on the list of problems.
// No inline script is allowed (Content-Security-Policy): texts come from data- attributes.
"use strict";

(function () {
  const form = document.getElementById("password-form");
  if (!form) {
    return;
  }
  const password = document.getElementById("password");
  const confirmation = document.getElementById("confirmation");
  const meter = document.getElementById("strength");
  const meterText = document.getElementById("strength-text");
  const matchText = document.getElementById("match-text");
  const toggle = document.getElementById("toggle");
  const labels = JSON.parse(form.dataset.strengthLabels);

  function roughStrength(value) {
    if (value.length < 8 || /^(.)\1*$/.test(value)) {
      return 0;
    }
    let score = value.length >= 16 ? 3 : value.length >= 12 ? 2 : 1;
    const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((k) => k.test(value));
    if (kinds.length >= 3) {
      score += 1;
    }
    if (/(0123|1234|2345|3456|4567|5678|6789|abcd|qwer|asdf|password|passwort|motdepasse)/i.test(value)) {
      score = Math.min(score, 1);
    }
    return Math.min(score, 4);
  }

  function showStrength() {
    const value = password.value;
    const score = value ? roughStrength(value) : 0;
    meter.value = score;
    meterText.textContent = value ? labels[score] : "";
  }

  function showMatch() {
    const differ = confirmation.value && confirmation.value !== password.value;
    matchText.textContent = differ ? form.dataset.mismatch : "";
  }

  password.addEventListener("input", () => {
    showStrength();
    if (confirmation.value) {
      showMatch();
    }
  });
  confirmation.addEventListener("input", showMatch);

  toggle.hidden = false;
  toggle.addEventListener("click", () => {
    const show = password.type === "password";
    password.type = confirmation.type = show ? "text" : "password";
    toggle.setAttribute("aria-pressed", String(show));  // the label stays: a switch
  });

  const problems = document.getElementById("problems");
  if (problems) {
    problems.focus();
  }
})();
