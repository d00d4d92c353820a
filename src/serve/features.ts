import { alertsFeature } from '../alerts/feature.ts';
import { buildsFeature } from '../builds/feature.ts';
import { deploysFeature } from '../deploy/feature.ts';
import { healthFeature } from '../health/feature.ts';
import { dashboardFeature } from '../web/feature.ts';
import type { ServeFeature } from './feature.ts';

/** Every capability that runs inside `depwarden serve`; adding one is one line here (see feature.ts). */
export const FEATURES: ServeFeature[] = [buildsFeature, healthFeature, deploysFeature, alertsFeature, dashboardFeature];
