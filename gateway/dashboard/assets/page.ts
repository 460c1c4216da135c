/** The dashboard page: a login view and the live view, filled by app.js. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Courier gateway · dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="uplot.css">
<link rel="stylesheet" href="app.css">
<script src="uplot.js" defer></script>
<script src="app.js" defer></script>
</head>
<body>
<header class="bar">
  <div class="brand"><span class="mark" aria-hidden="true"></span><b>courier-gw</b><span id="gw-id" class="gw-id"></span></div>
  <div class="pills">
    <span id="gw-state" class="pill" title="gateway state">—</span>
    <span id="rules-version" class="pill" title="active rule set" hidden></span>
    <span id="link" class="pill" title="connection to the gateway"><i class="dot"></i><span id="link-text">connecting</span></span>
  </div>
  <div id="who" class="who" hidden><span id="operator"></span><button id="logout" type="button">Log out</button></div>
</header>

<main id="login-view" class="login-view" hidden>
  <form id="login-form" class="card login" method="post" action="api/login">
    <h1>Operator login</h1>
    <p class="hint">Sign in with your gateway operator account.</p>
    <label>User name<input name="username" id="username" autocomplete="username" autocapitalize="off" spellcheck="false" required></label>
    <label>Password<input name="password" id="password" type="password" autocomplete="current-password" required></label>
    <button type="submit" id="login-button">Log in</button>
    <p id="login-error" class="error" role="alert" hidden></p>
  </form>
</main>

<main id="app-view" class="app" hidden>
  <section id="alarms" class="alarms" aria-label="alarms" hidden></section>
  <section id="device-page" class="card device-page" aria-labelledby="device-page-title" hidden>
    <h2><span>Device</span> <span id="device-page-title" class="mono"></span><button id="device-close" type="button" class="small-button">Close</button></h2>
    <div id="device-page-body"></div>
  </section>
  <section class="card" id="figures-card" aria-labelledby="figures-h">
    <h2 id="figures-h">Today <span id="figures-day" class="count"></span></h2>
    <div id="figures"></div>
  </section>
  <section class="card" id="charts-card" aria-labelledby="charts-h">
    <h2 id="charts-h">Live</h2>
    <div id="charts" class="charts"></div>
  </section>
  <div class="cols">
    <div class="col-main">
      <section class="card" aria-labelledby="devices-h">
        <h2 id="devices-h">Devices <span id="dev-count" class="count"></span></h2>
        <div class="table-wrap">
          <table id="devices" class="devices">
            <thead><tr><th>Device</th><th>Kit</th><th>State</th><th>Last reading</th><th class="num">Faults</th><th class="num">Refused</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>
      <section id="printers-card" class="card" aria-labelledby="printers-h" hidden>
        <h2 id="printers-h">Printers</h2>
        <div id="printers" class="printers"></div>
      </section>
      <div id="kits" class="kits"></div>
    </div>
    <aside class="col-side">
      <section class="card" id="journal-card" aria-labelledby="journal-h">
        <h2 id="journal-h">Journal</h2>
        <div id="journal"><p class="empty">No journal on this gateway.</p></div>
      </section>
      <section class="card" aria-labelledby="components-h">
        <h2 id="components-h">Gateway</h2>
        <div id="components"></div>
      </section>
      <section class="card" aria-labelledby="exceptions-h">
        <h2 id="exceptions-h">Exceptions <span id="exceptions-count" class="count"></span></h2>
        <ol id="exceptions" class="exceptions"></ol>
      </section>
      <section class="card" aria-labelledby="activity-h">
        <h2 id="activity-h">Bus activity</h2>
        <div class="bus-filter">
          <select id="bus-device" aria-label="device"></select>
          <select id="bus-kind" aria-label="topic kind"></select>
          <button id="bus-pause" type="button" class="small-button" aria-pressed="false">Pause</button>
        </div>
        <ol id="activity" class="activity"></ol>
      </section>
    </aside>
  </div>
</main>
</body>
</html>
`;
