// Starts Swagger UI (/api/docs) or ReDoc (/api/redoc) on the site's OpenAPI document. Kept in a
// file because the content security policy forbids inline scripts; both libraries are served
// from the installed fastapi-offline package, never from a CDN.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var swagger = document.getElementById("swagger-ui");
    var redoc = document.getElementById("redoc");
    if (swagger && window.SwaggerUIBundle) {
      window.SwaggerUIBundle({
        url: swagger.getAttribute("data-openapi"),
        dom_id: "#swagger-ui",
        deepLinking: true,
        presets: [window.SwaggerUIBundle.presets.apis],
        layout: "BaseLayout"
      });
    }
    if (redoc && window.Redoc) {
      // No search box: ReDoc would run it in a worker made from a blob, which the policy refuses.
      window.Redoc.init(redoc.getAttribute("data-openapi"), { disableSearch: true }, redoc);
    }
  });
})();
