// Package reporttest checks flowrun's report files the way their readers
// do, for tests only: JUnit XML against the Ant and Jenkins schemas with
// xmllint, CTRF and flowrun's JSON against their JSON Schemas, and the
// HTML page in headless Chromium, which must render without a console
// error, a script exception, a dialog or a network request.
//
// It works on bytes and files, and imports no flowrun package, so the
// tests of reports and of the CLI can both use it. The schemas are read
// from the repository, found from this package's own folder.
//
//	reporttest.ValidateJUnit(t, junitXML)
//	reporttest.ValidateCTRF(t, ctrfJSON)
//	reporttest.ValidateJSON(t, resultJSON)
//	p := reporttest.OpenHTML(t, "report.html")
//	if !p.Sees(t, "55 passed") { t.Error(...) }
//	p.Screenshot(t, "report.png")
package reporttest
