import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ListOrdersQuery, OrderDto, OrderPageDto, OrdersPort, PlaceOrderDto } from '@strata/orders/contracts';
import { IdempotentRoute, ParseIdPipe } from '@strata/platform/http';

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersPort) {}

  @Post()
  @IdempotentRoute()
  @ApiCreatedResponse({ type: OrderDto, description: 'The order is pending until its confirmation job runs.' })
  @ApiBadRequestResponse({ description: 'A field is missing, unknown or invalid.' })
  @ApiNotFoundResponse({ description: 'The customer or a product does not exist.' })
  @ApiConflictResponse({ description: 'Not enough stock for a line; no stock was taken.' })
  place(@Body() order: PlaceOrderDto): Promise<OrderDto> {
    return this.orders.placeOrder(order);
  }

  @Get()
  @ApiOkResponse({ type: OrderPageDto })
  list(@Query() query: ListOrdersQuery): Promise<OrderPageDto> {
    return this.orders.listOrders(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderDto })
  @ApiNotFoundResponse()
  get(@Param('id', ParseIdPipe) id: string): Promise<OrderDto> {
    return this.orders.getOrder(id);
  }

  @Post(':id/cancel')
  @IdempotentRoute()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OrderDto, description: 'The order is cancelled and its stock released.' })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The order is already cancelled.' })
  cancel(@Param('id', ParseIdPipe) id: string): Promise<OrderDto> {
    return this.orders.cancelOrder(id);
  }
}
