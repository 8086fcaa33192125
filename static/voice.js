// Spoken answers: read the question aloud, record an answer, put its transcript in the answer box.
// Progressive enhancement: the controls stay hidden unless the browser can do each part, and
// typing works the same with or without them. Transcription happens on our server, offline.
(function () {
  "use strict";

  var canRecord = !!(window.MediaRecorder && navigator.mediaDevices &&
    navigator.mediaDevices.getUserMedia);
  var canSpeak = "speechSynthesis" in window && "SpeechSynthesisUtterance" in window;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }

  function pickType() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
    for (var i = 0; i < types.length; i++) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) return types[i];
    }
    return "";
  }

  // Recording ids ride along with the answer form, and survive a reload of the page.
  function recordingsKey(form) {
    var input = form.querySelector("textarea[data-draft-key]");
    return input ? input.dataset.draftKey.replace(/^draft:/, "recordings:") : null;
  }

  function addRecordingInput(form, id) {
    if (form.querySelector('input[name="recording_id"][value="' + id + '"]')) return;
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "recording_id";
    hidden.value = String(id);
    form.appendChild(hidden);
  }

  function rememberRecording(form, id) {
    addRecordingInput(form, id);
    var store = storage();
    var key = recordingsKey(form);
    if (!store || !key) return;
    var ids = (store.getItem(key) || "").split(",").filter(Boolean);
    ids.push(String(id));
    store.setItem(key, ids.join(","));
  }

  function restoreRecordings(form) {
    var store = storage();
    var key = recordingsKey(form);
    if (!store || !key) return;
    (store.getItem(key) || "").split(",").filter(function (id) { return /^\d+$/.test(id); })
      .forEach(function (id) { addRecordingInput(form, id); });
  }

  function Recorder(box) {
    this.box = box;
    this.form = box.closest("form");
    this.textarea = this.form.querySelector("textarea");
    this.button = box.querySelector("[data-voice-record]");
    this.live = box.querySelector("[data-voice-live]");
    this.meter = box.querySelector("[data-voice-level]");
    this.clockEl = box.querySelector("[data-voice-clock]");
    this.status = box.querySelector("[data-voice-status]");
    this.url = box.dataset.transcribeUrl;
    this.recorder = null;
    this.stream = null;
    this.stopAt = null;
  }

  Recorder.prototype.say = function (message, isError) {
    this.status.textContent = message;
    this.status.classList.toggle("voice-error", !!isError);
  };

  Recorder.prototype.recording = function () {
    return !!(this.recorder && this.recorder.state === "recording");
  };

  Recorder.prototype.start = function (limitSeconds) {
    var self = this;
    if (self.recording()) return Promise.resolve();
    self.say("Asking for the microphone…");
    return navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      self.stream = stream;
      var type = pickType();
      self.recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      var chunks = [];
      self.recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      self.recorder.onstop = function () {
        self.release();
        self.upload(new Blob(chunks, { type: self.recorder.mimeType || type || "audio/webm" }));
      };
      self.recorder.start(250);
      self.started = Date.now();
      self.stopAt = limitSeconds ? self.started + limitSeconds * 1000 : null;
      self.button.textContent = "■ Stop and transcribe";
      self.button.setAttribute("aria-pressed", "true");
      self.box.classList.add("is-recording");
      self.live.hidden = false;
      self.say(limitSeconds ? "Recording — it stops by itself at " + clock(limitSeconds) + "."
        : "Recording… press Stop when you have finished.");
      self.meterLoop();
    }).catch(function (err) {
      self.release();
      self.say("No microphone: " + (err && err.message ? err.message : err) +
        ". You can still type your answer.", true);
    });
  };

  Recorder.prototype.meterLoop = function () {
    var self = this;
    var Ctx = window.AudioContext || window.webkitAudioContext;
    var analyser = null;
    var samples = null;
    if (Ctx) {
      try {
        self.audioContext = new Ctx();
        analyser = self.audioContext.createAnalyser();
        analyser.fftSize = 1024;
        self.audioContext.createMediaStreamSource(self.stream).connect(analyser);
        samples = new Float32Array(analyser.fftSize);
      } catch (e) { analyser = null; }
    }
    function frame() {
      if (!self.recording()) return;
      var elapsed = (Date.now() - self.started) / 1000;
      self.clockEl.textContent = clock(elapsed);
      if (analyser) {
        analyser.getFloatTimeDomainData(samples);
        var sum = 0;
        for (var i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
        // RMS to a 0..1 scale that moves for normal speech (about -40 dBFS to 0).
        var db = 20 * Math.log10(Math.sqrt(sum / samples.length) + 1e-9);
        self.meter.value = Math.max(0, Math.min(1, (db + 60) / 60));
      }
      if (self.stopAt && Date.now() >= self.stopAt) { self.stop(); return; }
      window.requestAnimationFrame(frame);
    }
    window.requestAnimationFrame(frame);
  };

  Recorder.prototype.stop = function () {
    if (this.recording()) this.recorder.stop();
  };

  Recorder.prototype.release = function () {
    if (this.stream) this.stream.getTracks().forEach(function (t) { t.stop(); });
    if (this.audioContext) { try { this.audioContext.close(); } catch (e) { /* closed */ } }
    this.stream = null;
    this.audioContext = null;
    this.box.classList.remove("is-recording");
    this.live.hidden = true;
    this.meter.value = 0;
    this.button.textContent = "🎙 Record your answer";
    this.button.setAttribute("aria-pressed", "false");
  };

  // The page's CSRF token, from the header htmx sends (hx-headers on <body>).
  function csrfHeaders() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return { "X-CSRF-Token": headers["X-CSRF-Token"] || "" };
    } catch (e) { return {}; }
  }

  Recorder.prototype.upload = function (blob) {
    var self = this;
    var body = new FormData();
    var ext = /ogg/.test(blob.type) ? "ogg" : /mp4/.test(blob.type) ? "m4a" : "webm";
    body.append("audio", blob, "answer." + ext);
    self.button.disabled = true;
    self.say("Transcribing your answer…");
    fetch(self.url, { method: "POST", body: body, credentials: "same-origin", headers: csrfHeaders() })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(data.error || "the server answered " + response.status);
          return data;
        });
      })
      .then(function (data) {
        var text = (data.text || "").trim();
        if (!text) {
          self.say("No words heard in that recording. Try again closer to the microphone.", true);
          return;
        }
        var current = self.textarea.value.trim();
        self.textarea.value = current ? current + " " + text : text;
        // Word count and the saved draft follow the text, as if it had been typed.
        self.textarea.dispatchEvent(new Event("input", { bubbles: true }));
        rememberRecording(self.form, data.recording_id);
        self.say("Transcribed " + clock(data.duration_s) + " of speech. Correct the text if " +
          "needed, then submit.");
        self.textarea.focus();
      })
      .catch(function (err) {
        self.say("Could not transcribe: " + err.message + ". Your answer box is unchanged.", true);
      })
      .then(function () { self.button.disabled = false; });
  };

  function hasMicrophone() {
    if (!navigator.mediaDevices.enumerateDevices) return Promise.resolve(true);
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      return devices.some(function (d) { return d.kind === "audioinput"; });
    }).catch(function () { return true; });
  }

  function readAloud(text) {
    return new Promise(function (resolve) {
      if (!canSpeak || !text) { resolve(); return; }
      window.speechSynthesis.cancel();
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "en-US";
      utterance.onend = resolve;
      utterance.onerror = resolve;
      window.speechSynthesis.speak(utterance);
      // Some voices never fire onend; do not hang the interview on them.
      window.setTimeout(resolve, Math.min(20000, 1000 + text.length * 80));
    });
  }

  function promptText() {
    var prompt = document.getElementById("prompt");
    return prompt ? prompt.textContent.trim() : "";
  }

  // "Answer out loud": the question is read, a thinking countdown, then recording starts by
  // itself and stops at the time limit, as in a real interview.
  function answerOutLoud(recorder, box) {
    var think = parseInt(box.dataset.thinkSeconds, 10) || 10;
    var limit = parseInt(box.dataset.timeLimit, 10) || 120;
    box.classList.add("is-interview");
    return readAloud(promptText()).then(function () {
      return new Promise(function (resolve) {
        var left = think;
        function tick() {
          if (!document.body.contains(box)) return;
          if (left <= 0) { resolve(); return; }
          recorder.say("Think about your answer… recording starts in " + left + " s.");
          left -= 1;
          window.setTimeout(tick, 1000);
        }
        tick();
      });
    }).then(function () {
      return recorder.start(limit);
    });
  }

  function setUp(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var readButton = box.querySelector("[data-voice-read]");
    if (readButton && canSpeak) {
      readButton.hidden = false;
      readButton.addEventListener("click", function () { readAloud(promptText()); });
    }
    if (!box.dataset.transcribeUrl || !canRecord || !box.closest("form")) return;
    var recorder = new Recorder(box);
    restoreRecordings(recorder.form);
    var interview = box.querySelector("[data-voice-interview]");
    recorder.button.addEventListener("click", function () {
      if (recorder.recording()) recorder.stop();
      else recorder.start(null);
    });
    if (interview) {
      interview.addEventListener("click", function () {
        interview.disabled = true;
        answerOutLoud(recorder, box).then(function () { interview.disabled = false; });
      });
    }
    // Without a microphone the buttons stay hidden rather than failing when pressed.
    hasMicrophone().then(function (yes) {
      if (!yes) return;
      recorder.button.hidden = false;
      if (interview) interview.hidden = false;
    });
    // Submitting while recording would send the text without the words still being said.
    recorder.form.addEventListener("submit", function (event) {
      if (recorder.recording()) {
        event.preventDefault();
        recorder.say("Stop the recording first; its transcript goes into the box.", true);
      }
    });
  }

  function clearFinished(root) {
    var store = storage();
    if (!store) return;
    root.querySelectorAll("[data-clear-draft]").forEach(function (el) {
      store.removeItem(el.dataset.clearDraft.replace(/^draft:/, "recordings:"));
    });
  }

  function enhance(root) {
    clearFinished(root);
    root.querySelectorAll("[data-voice]").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(event.detail.target || document);
  });
})();
