/** Every page of the app. Add a page here (the dashboards add theirs under src/dashboards/). */
import type { Route } from "./router";
import { LoginPage } from "./pages/LoginPage";
import { ProjectsPage } from "./pages/ProjectsPage";
import { ProjectPage } from "./pages/ProjectPage";
import { EditorPage } from "./pages/EditorPage";
import { RunPage } from "./pages/RunPage";
import { RunsTablePage } from "./dashboards/RunsTablePage";
import { ComparePage } from "./dashboards/ComparePage";
import { SweepPage } from "./sweeps/SweepPage";
import { FleetPage } from "./fleet/FleetPage";

export const routes: Route[] = [
  { path: "/login", page: LoginPage, public: true },
  { path: "/", page: ProjectsPage },
  { path: "/projects/:id", page: ProjectPage },
  { path: "/projects/:id/runs", page: RunsTablePage },
  { path: "/compare", page: ComparePage },
  { path: "/graphs/:id", page: EditorPage },
  { path: "/runs/:id", page: RunPage },
  { path: "/sweeps/:id", page: SweepPage },
  { path: "/fleet", page: FleetPage },
];
