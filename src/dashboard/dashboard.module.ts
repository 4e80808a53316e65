import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets';
import { DashboardSettingsController } from './dashboard-settings.controller';
import { DashboardController } from './dashboard.controller';

/**
 * The web dashboard served at / (plain ES modules, no build step). public/ sits next to
 * this file in src/ (vitest) and in dist/src/ (nest build copies it, see nest-cli.json).
 */
@Module({
  controllers: [DashboardController, DashboardSettingsController],
  providers: [{ provide: DashboardAssets, useFactory: () => new DashboardAssets(join(__dirname, 'public')) }],
})
export class DashboardModule {}
