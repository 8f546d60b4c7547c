// Starts Blazor in the console's language: the one chosen in the header (localStorage), else
// the browser's first language when it is French, else English. The culture keeps the browser's
// region (fr-CA, en-GB) for dates and numbers. .NET loads that culture's resources at start.
(function () {
  const chosen = localStorage.getItem("helpdesk.culture");
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || "en-US";
  const language = (chosen || browser).toLowerCase().startsWith("fr") ? "fr" : "en";
  const culture = browser.toLowerCase().startsWith(language) && browser.includes("-")
    ? browser
    : (language === "fr" ? "fr-FR" : "en-US");
  document.documentElement.lang = language;
  Blazor.start({ applicationCulture: culture });
})();
