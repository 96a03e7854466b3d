/**
 * Links to a campaign's CSV exports, carrying the page's filters (`search`, e.g. "?area=LS6"), so
 * a file holds the same rows the figures on the page were counted from.
 */
export function DataDownloads({ base, search }: { base: string; search: string }) {
  return (
    <section aria-labelledby="downloads-heading">
      <h2 id="downloads-heading">Download the data</h2>
      <p>
        Spreadsheet files (CSV) to open in Excel or Google Sheets.
        {search ? " They hold only what matches the filters in this page's address." : null}
      </p>
      <ul>
        <li>
          <a href={`${base}/reports.csv${search}`} download>
            Download reports (CSV)
          </a>{" "}
          <span className="muted">one row per report</span>
        </li>
        <li>
          <a href={`${base}/participation.csv${search}`} download>
            Download participation (CSV)
          </a>{" "}
          <span className="muted">one row per volunteer</span>
        </li>
      </ul>
    </section>
  );
}
