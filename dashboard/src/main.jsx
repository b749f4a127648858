// The dashboard: sign in if the API asks for it, then one page per hash route.
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signIn } from './auth.js';
import { Agent, Agents } from './pages/agents.jsx';
import { Call } from './pages/call.jsx';
import { Calls } from './pages/calls.jsx';
import { Overview } from './pages/overview.jsx';
import { Pipeline } from './pages/pipeline.jsx';
import { Settings } from './pages/settings.jsx';
import { Upload } from './pages/upload.jsx';
import { route } from './ui.jsx';

const NAV = [
  ['overview', 'Overview'],
  ['agents', 'Agents'],
  ['calls', 'Calls'],
  ['pipeline', 'Pipeline'],
  ['upload', 'Upload'],
  ['settings', 'Settings'],
];

function page({ path, query }) {
  const [top, id] = path;
  switch (top || 'overview') {
    case 'overview':
      return <Overview query={query} />;
    case 'agents':
      return id ? <Agent agentId={id} query={query} /> : <Agents query={query} />;
    case 'calls':
      return id ? <Call callId={id} /> : <Calls query={query} />;
    case 'pipeline':
      return <Pipeline />;
    case 'upload':
      return <Upload />;
    case 'settings':
      return <Settings />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no page “{path.join('/')}”. Go to the <a href="#/overview">overview</a>.
          </p>
        </>
      );
  }
}

function App() {
  const [where, setWhere] = useState(route());
  useEffect(() => {
    const moved = () => {
      setWhere(route());
      window.scrollTo(0, 0);
      document.getElementById('main')?.focus();
    };
    addEventListener('hashchange', moved);
    return () => removeEventListener('hashchange', moved);
  }, []);
  const current = where.path[0] || 'overview';
  useEffect(() => {
    const name = NAV.find(([k]) => k === current)?.[1] || 'callscope';
    document.title = `${where.path[1] ? `${where.path[1]} · ` : ''}${name} · callscope`;
  }, [where]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>
        Skip to the page
      </a>
      <header class="top">
        <span class="brand">callscope</span>
        <nav aria-label="Pages">
          <ul>
            {NAV.map(([key, name]) => (
              <li>
                <a href={`#/${key}`} aria-current={key === current ? 'page' : undefined}>
                  {name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {page(where)}
      </main>
    </>
  );
}

const root = document.getElementById('root');
signIn().then(
  () => {
    root.textContent = '';
    render(<App />, root);
  },
  (e) => {
    root.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'state error';
    p.setAttribute('role', 'alert');
    p.textContent = `Could not sign in: ${e.message}`;
    root.append(p);
  },
);
