// Start GOV.UK Frontend's components; a separate file so the CSP needs no inline script.
import { initAll } from "/assets/govuk-frontend/govuk-frontend.min.js";
initAll();
